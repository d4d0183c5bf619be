/**
 * What a handle costs per call when nothing reloads: a direct method call against the same call
 * through `handle.current`, a `delegate()`d function, and a lease per call. Goal: a delegate is
 * within 5 ns of the direct call.
 *
 *   node --import tsx bench/handle.bench.ts [--iterations 20000000] [--rounds 9]
 *
 * Each case runs in its own function (so V8 optimises each alone), warms up, then runs `rounds`
 * timed rounds of `iterations` calls with process.hrtime.bigint(); the table shows the median
 * nanoseconds per call and the overhead against the direct call.
 */
import { parseArgs } from 'node:util';
import { createHandle } from '../src/units/handle.js';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '20000000' },
    rounds: { type: 'string', default: '9' },
  },
});
const iterations = Number(values.iterations);
const rounds = Number(values.rounds);

interface Greeter {
  base: number;
  add(n: number): number;
}

// Every version comes from the same factory, as versions of one module do: one hidden class.
const makeVersion = (base: number): Greeter => ({
  base,
  add(n: number) {
    return n + this.base;
  },
});

const direct = makeVersion(1);
const handle = createHandle<Greeter>('greeter');
// Swap many times first: the delegate must stay fast on whatever version is live.
for (let g = 0; g < 1_000; g++) handle.swap(makeVersion(1));
const delegated = handle.delegate('add');
const { add: delegatedFromAll } = handle.delegateAll(['add']);

type Case = { name: string; run: (n: number) => number };

const cases: Case[] = [
  {
    name: 'direct call (baseline)',
    run(n) {
      let sink = 0;
      for (let i = 0; i < n; i++) sink += direct.add(i);
      return sink;
    },
  },
  {
    name: 'handle.current.add()',
    run(n) {
      let sink = 0;
      for (let i = 0; i < n; i++) sink += handle.current.add(i);
      return sink;
    },
  },
  {
    name: 'handle.delegate("add")',
    run(n) {
      let sink = 0;
      for (let i = 0; i < n; i++) sink += delegated(i);
      return sink;
    },
  },
  {
    name: 'handle.delegateAll().add',
    run(n) {
      let sink = 0;
      for (let i = 0; i < n; i++) sink += delegatedFromAll(i);
      return sink;
    },
  },
  {
    name: 'lease + release per call',
    run(n) {
      let sink = 0;
      for (let i = 0; i < n; i++) {
        const lease = handle.lease();
        sink += lease.current.add(i);
        lease.release();
      }
      return sink;
    },
  },
  {
    name: 'withLease() per call',
    run(n) {
      let sink = 0;
      for (let i = 0; i < n; i++) sink += handle.withLease((v) => v.add(i));
      return sink;
    },
  },
];

function timeRound(c: Case, n: number): number {
  const start = process.hrtime.bigint();
  const sink = c.run(n);
  const elapsed = process.hrtime.bigint() - start;
  // Keeps the result observable so the loop cannot be dropped.
  if (sink === -1) console.log(sink);
  return Number(elapsed) / n;
}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

const results: Array<{ name: string; ns: number; min: number }> = [];
for (const c of cases) {
  // Warm-up: reach the optimising tier before timing (leases are slower: fewer calls).
  const n = c.name.includes('ease') ? Math.max(1, Math.floor(iterations / 10)) : iterations;
  for (let w = 0; w < 3; w++) timeRound(c, Math.floor(n / 4));
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) samples.push(timeRound(c, n));
  results.push({ name: c.name, ns: median(samples), min: Math.min(...samples) });
}

const baseline = results[0]?.ns ?? 0;
const rows = results.map((r) => ({
  case: r.name,
  'ns/call (median)': r.ns.toFixed(2),
  'ns/call (best)': r.min.toFixed(2),
  'overhead ns': (r.ns - baseline).toFixed(2),
}));
console.log(
  `handle benchmark: node ${process.version}, ${iterations.toLocaleString('en')} calls x ${rounds} rounds`,
);
console.table(rows);
const delegate = results.find((r) => r.name.startsWith('handle.delegate('));
if (delegate) {
  const overhead = delegate.ns - baseline;
  console.log(
    `delegate overhead: ${overhead.toFixed(2)} ns/call (goal ≤ 5 ns): ${overhead <= 5 ? 'met' : 'NOT met'}`,
  );
}
