/**
 * The measurements, each on a running app: edit→served latency, cold start, memory across
 * reloads, failures under steady load, two quick writes, and a broken edit followed by a fix.
 */
import { writeFile } from 'node:fs/promises';
import { type AppProcess, startApp } from './app-process.js';
import type { Fixture } from './fixture.js';
import { createAgent, get, pollUntil, type Reply } from './http-client.js';
import { sleep } from './stats.js';
import { type LoadResult, SteadyLoad } from './steady-load.js';
import type { Tool, ToolContext } from './tools.js';

/** How much of each measurement to do. */
export interface Plan {
  readonly latencyReps: number;
  /** Reload counts at which memory is read, after the read at 0. */
  readonly memoryCheckpoints: readonly [number, number];
  /** Memory is also read every this many reloads, for the growth slope. */
  readonly memoryEvery: number;
  /** For restarting tools: restarts before the second memory read. */
  readonly memoryRestarts: number;
  readonly coldSpawns: number;
  readonly loadReloads: number;
  /** Requests per second of the steady load. */
  readonly loadRate: number;
  readonly twoWritesReps: number;
  /** How long each broken state (syntax error, throwing module) is left in place. */
  readonly brokenPhaseMs: number;
}

/** A tool running one fixture, with the values it was given so far. */
export class Session {
  readonly tool: Tool;
  readonly fixture: Fixture;
  readonly app: AppProcess;
  readonly #agent = createAgent(1);
  #counter = 0;
  /** The value last written to the leaf. */
  current = 'v0';
  /** What the app answered and printed when an edit was never served, for results.json. */
  readonly misses: string[] = [];

  constructor(tool: Tool, fixture: Fixture, app: AppProcess) {
    this.tool = tool;
    this.fixture = fixture;
    this.app = app;
  }

  /** How long to wait for an edit to be served before calling it lost. */
  get servedTimeout(): number {
    // Ten times the slowest p90 of a hot tool here; a restart of 1000 modules under load takes seconds.
    return this.tool.kind === 'restart' ? 20_000 : 3_000;
  }

  /** Pause after an edit was served, so late watcher events of that edit do not leak into the next. */
  get settleMs(): number {
    return this.tool.kind === 'restart' ? 300 : 150;
  }

  /** A value never written before. */
  nextValue(): string {
    return `v${++this.#counter}`;
  }

  async write(value: string): Promise<void> {
    this.current = value;
    await writeFile(this.fixture.leaf, this.fixture.leafSource(value));
  }

  /** Writes `value` and returns ms from just before the write to the first reply showing it. */
  async edit(value: string): Promise<number | undefined> {
    const start = performance.now();
    await this.write(value);
    const seen = await this.waitFor(value, start + this.servedTimeout);
    if (seen === undefined) await this.recordMiss(value);
    return seen === undefined ? undefined : seen - start;
  }

  /** Notes that `value` was never served, with what the app answers and printed last. */
  async recordMiss(value: string): Promise<void> {
    const reply = await this.get();
    const answer = reply.status === 0 ? (reply.error ?? 'error') : `${reply.status} ${reply.body}`;
    this.misses.push(
      `${this.fixture.options.modules} modules, ${value} never served; answer: ${answer.slice(0, 300)}; ` +
        `app output: ${this.app.output.slice(-6).join(' ⏎ ').slice(0, 600)}`,
    );
  }

  /** Time at which a reply first showed `value`, or undefined past `deadline`. */
  async waitFor(value: string, deadline: number): Promise<number | undefined> {
    const seen = await pollUntil(
      this.app.port,
      this.#agent,
      (reply) => reply.status === 200 && reply.value === value,
      deadline,
    );
    return seen?.at;
  }

  get(path = '/'): Promise<Reply> {
    return get(this.app.port, path, this.#agent);
  }

  async stop(): Promise<void> {
    this.#agent.destroy();
    await this.app.stop();
  }
}

/** Spawns `tool` on `fixture` and measures spawn → first successful reply. */
export async function launch(
  tool: Tool,
  fixture: Fixture,
  ctx: ToolContext,
): Promise<{ session: Session; coldMs: number }> {
  const app = await startApp(tool, fixture, ctx);
  const session = new Session(tool, fixture, app);
  const seen = await pollUntil(
    app.port,
    createAgent(1),
    (reply) => reply.status === 200 && reply.value !== undefined,
    app.spawnedAt + 60_000,
  );
  if (!seen) {
    await session.stop();
    throw new Error(`no reply within 60 s; last output:\n${app.output.slice(-15).join('\n')}`);
  }
  session.current = seen.reply.value ?? 'v0';
  return { session, coldMs: seen.at - app.spawnedAt };
}

/** Edits that were never served before giving up on a scenario. */
const maxUnserved = 5;

/** Latency samples in ms, and how many edits were never served. */
export interface LatencyResult {
  readonly edits: number;
  readonly samples: number[];
  /** Edits never served within the timeout; the next edit usually brings the app back. */
  readonly unserved: number;
}

/** Edits the deepest leaf `reps` times; stops early after `maxUnserved` edits never served. */
export async function measureLatency(
  s: Session,
  reps: number,
  progress: (done: number) => void,
): Promise<LatencyResult> {
  const samples: number[] = [];
  let unserved = 0;
  let edits = 0;
  await sleep(s.settleMs);
  while (edits < reps && unserved < maxUnserved) {
    const took = await s.edit(s.nextValue());
    edits++;
    if (took === undefined) unserved++;
    else samples.push(took);
    progress(edits);
    await sleep(s.settleMs);
  }
  return { edits, samples, unserved };
}

/** One `/__mem` read. */
export interface MemoryPoint {
  readonly reloads: number;
  readonly heapUsed: number;
  readonly rss: number;
}

export interface MemoryResult {
  readonly points: MemoryPoint[];
  /** Reloads whose edit was never served (the next edit was written all the same). */
  readonly unserved: number;
  /** The app could call `gc()` before reading. */
  readonly gc: boolean;
  /** For restarting tools: each point after 0 is a fresh process. */
  readonly restarts: boolean;
  /** Set when the reloads stopped being served. */
  readonly failure?: string;
}

async function readMemory(s: Session, reloads: number): Promise<MemoryPoint & { gc: boolean }> {
  const reply = await s.get('/__mem');
  if (reply.status !== 200) throw new Error(`/__mem answered ${reply.status} ${reply.error ?? ''}`);
  const m = JSON.parse(reply.body) as { heapUsed: number; rss: number; gc: boolean };
  return { reloads, heapUsed: m.heapUsed, rss: m.rss, gc: m.gc };
}

/**
 * Heap and RSS (after `gc()`) at 0 reloads and at each checkpoint. A reload is an edit of the
 * ~100 KB leaf, waited for until served. Restarting tools are read after a few restarts: each
 * restart is a fresh process, so more would only measure the same thing again.
 */
export async function measureMemory(
  s: Session,
  plan: Plan,
  progress: (done: number) => void,
): Promise<MemoryResult> {
  await sleep(s.settleMs);
  const first = await readMemory(s, 0);
  const points: MemoryPoint[] = [first];
  const restarts = s.tool.kind === 'restart';
  const [, last] = plan.memoryCheckpoints;
  const checkpoints = restarts
    ? [plan.memoryRestarts]
    : [
        ...new Set([
          ...plan.memoryCheckpoints,
          ...Array.from(
            { length: Math.floor(last / plan.memoryEvery) },
            (_, i) => (i + 1) * plan.memoryEvery,
          ),
        ]),
      ].sort((a, b) => a - b);
  let done = 0;
  let unserved = 0;
  let missedInARow = 0;
  for (const checkpoint of checkpoints) {
    while (done < checkpoint) {
      const took = await s.edit(s.nextValue());
      done++;
      if (took === undefined) {
        unserved++;
        if (++missedInARow >= maxUnserved) {
          const failure = `stopped: ${missedInARow} reloads in a row never served`;
          return { points, unserved, gc: first.gc, restarts, failure };
        }
      } else {
        missedInARow = 0;
      }
      if (done % 20 === 0) progress(done);
      // chokidar-based watchers (hot-hook, Vite, nodemon) drop an edit that lands within a few
      // ms of the previous one's events: pace reloads so each one counts. Lost edits are
      // measured on their own (two writes 30 ms apart).
      await sleep(restarts ? s.settleMs : 50);
    }
    await sleep(s.settleMs);
    points.push(await readMemory(s, done));
  }
  return { points, unserved, gc: first.gc, restarts };
}

export interface LoadScenarioResult extends LoadResult {
  readonly reloads: number;
  readonly unserved: number;
}

/** Steady load while the leaf is edited `plan.loadReloads` times, each waited for until served. */
export async function measureUnderLoad(s: Session, plan: Plan): Promise<LoadScenarioResult> {
  let latest: string | undefined;
  const load = new SteadyLoad(s.app.port, plan.loadRate, (reply) => {
    if (reply.status === 200) latest = reply.value;
  }).start();
  let unserved = 0;
  try {
    await sleep(500);
    for (let i = 0; i < plan.loadReloads; i++) {
      const value = s.nextValue();
      await s.write(value);
      const deadline = performance.now() + s.servedTimeout;
      while (latest !== value && performance.now() < deadline) await sleep(2);
      if (latest !== value) unserved++;
      await sleep(100);
    }
    await sleep(500);
  } catch (err) {
    await load.stop();
    throw err;
  }
  return { ...(await load.stop()), reloads: plan.loadReloads, unserved };
}

export interface TwoWritesResult {
  readonly reps: number;
  /** Runs whose settled reply did not show the second write. */
  readonly lost: number;
}

/** Writes A, then B 30 ms later; after things settle, the app must serve B. */
export async function measureTwoWrites(s: Session, reps: number): Promise<TwoWritesResult> {
  let lost = 0;
  for (let i = 0; i < reps; i++) {
    const a = s.nextValue();
    const b = s.nextValue();
    const start = performance.now();
    await s.write(a);
    await sleep(Math.max(0, 30 - (performance.now() - start)));
    await s.write(b);
    // A lost write waits this out: shorter than an edit's timeout, still ample for either kind.
    await s.waitFor(b, performance.now() + s.servedTimeout / 2);
    await sleep(s.settleMs * 2);
    const final = await s.get();
    if (final.status !== 200 || final.value !== b) lost++;
  }
  return { reps, lost };
}

export interface BrokenResult {
  /** Requests answered while the leaf was broken (syntax error, then throwing), until the fix was served. */
  readonly sent: number;
  readonly failed: number;
  /** Every successful reply while broken showed the last good value. */
  readonly keptLastGood: boolean;
  /** ms from writing the fix to the first reply showing it; undefined if it never came. */
  readonly recoveredMs: number | undefined;
}

/**
 * Under a light steady load (100 req/s): a syntax error in the leaf, then a leaf that throws when
 * evaluated, each left for `plan.brokenPhaseMs`, then a fix with a new value.
 */
export async function measureBroken(s: Session, plan: Plan): Promise<BrokenResult> {
  const good = s.nextValue();
  if ((await s.edit(good)) === undefined) throw new Error('the last good value was never served');
  await sleep(s.settleMs);
  let broken = false;
  let sent = 0;
  let failed = 0;
  let keptLastGood = true;
  let latest: string | undefined;
  let fixed: string | undefined;
  const load = new SteadyLoad(s.app.port, 100, (reply) => {
    if (reply.status === 200) latest = reply.value;
    if (!broken) return;
    sent++;
    if (reply.status !== 200) failed++;
    else if (reply.value !== good && reply.value !== fixed) keptLastGood = false;
  }).start();
  let recoveredMs: number | undefined;
  try {
    await sleep(200);
    broken = true;
    await writeFile(s.fixture.leaf, s.fixture.brokenSyntaxSource());
    await sleep(plan.brokenPhaseMs);
    await writeFile(s.fixture.leaf, s.fixture.throwingSource());
    await sleep(plan.brokenPhaseMs);
    fixed = s.nextValue();
    const start = performance.now();
    await s.write(fixed);
    // Once per tool, so a generous wait: a slow recovery is a number, not a "never".
    const deadline = start + Math.max(10_000, s.servedTimeout);
    // Replies that show the fix end the broken period; keep counting until the first one.
    while (latest !== fixed && performance.now() < deadline) await sleep(1);
    broken = false;
    if (latest === fixed) recoveredMs = performance.now() - start;
    else await s.recordMiss(fixed);
    await sleep(200);
  } finally {
    broken = false;
    await load.stop();
  }
  return { sent, failed, keptLastGood, recoveredMs };
}
