/**
 * MQTT connector swap benchmark: a publisher sends QoS 1 messages at a steady rate (open loop:
 * it does not slow down while the connector swaps) to a real mosquitto on 127.0.0.1, while the
 * connector service of examples/mqtt-service is swapped N times by config changes (a new client
 * id each time, and every other time a move to the broker's second listener). Every message
 * carries a publisher-side id; the handler counts each one. Prints (and writes to
 * bench/README-mqtt.md) sent, received, lost, duplicated, and the swap times.
 *
 *   npm run bench:mqtt                       # builds dist/, then runs with the defaults below
 *   npx tsx bench/mqtt-swap.bench.ts --swaps 50 --rate 1000 --gap 100 --no-write
 *
 * Needs mosquitto (Debian: apt-get install mosquitto; `node scripts/system-deps.mjs` does it)
 * and a built dist/ (`npx tsc -p tsconfig.build.json`): the example imports only 'hotswap'.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createConfig, createRuntime, type ReloadReport } from 'hotswap';
import { connectAsync } from 'mqtt';
import { registerMqttService } from '../examples/mqtt-service/index.js';
import { mosquittoAvailability, startMosquitto } from '../test/helpers/mosquitto.js';

const { values: args } = parseArgs({
  options: {
    swaps: { type: 'string', default: '50' },
    rate: { type: 'string', default: '1000' },
    gap: { type: 'string', default: '100' },
    'no-write': { type: 'boolean', default: false },
  },
});
const swaps = Number(args.swaps);
const rate = Number(args.rate);
const gapMs = Number(args.gap);

const percentile = (samples: readonly number[], p: number): number => {
  const sorted = [...samples].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ??
    Number.NaN
  );
};
const fmt = (ms: number): string => (ms < 10 ? ms.toFixed(1) : Math.round(ms).toString());
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves `promise`, or rejects after `ms` naming what was waited for. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`gave up waiting for ${what} after ${ms} ms`)), ms);
    }),
  ]);
}

async function main(): Promise<void> {
  const availability = mosquittoAvailability();
  if (!availability.available) {
    console.error(`!!! mqtt-swap bench: no mosquitto: ${availability.reason}`);
    process.exit(2);
  }
  const broker = await startMosquitto({ listeners: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'hs-mqtt-bench-'));
  const file = join(dir, 'app.json');
  const write = (mqtt: Record<string, unknown>): void =>
    writeFileSync(file, JSON.stringify({ mqtt }));
  write({ url: broker.url, clientId: 'bench' });

  const runtime = createRuntime({ logger: false });
  const config = runtime.add(createConfig({ files: [file], env: false }));
  const mqtt = registerMqttService(runtime, { config, drainTimeout: 10_000 });

  // seq → handler calls; the end marker says the live client has seen everything before it.
  const calls = new Map<number, number>();
  let handlerCalls = 0;
  let sawEnd: () => void = () => {};
  const ended = new Promise<void>((resolve) => {
    sawEnd = resolve;
  });
  await mqtt.subscribe('bench/#', ({ payload }) => {
    const text = payload.toString();
    if (text === 'end') {
      sawEnd();
      return;
    }
    const seq = Number(text);
    handlerCalls++;
    calls.set(seq, (calls.get(seq) ?? 0) + 1);
  });
  const first = await runtime.reload();
  if (!first.ok) throw new Error(first.summary);

  const disposedAt = new Map<number, number>();
  let onDisposed: () => void = () => {};
  runtime.on('version-disposed', ({ unit, generation }) => {
    if (unit !== 'mqtt') return;
    disposedAt.set(generation, performance.now());
    onDisposed();
  });

  const publisher = await connectAsync(broker.url, { protocolVersion: 5, clientId: 'bench-pub' });
  let sent = 0;
  let acked = 0;
  let failed = 0;
  const inFlight = new Set<Promise<unknown>>();
  const started = performance.now();
  const publishOne = (): void => {
    const seq = sent++;
    const p = publisher
      .publishAsync('bench/load', String(seq), {
        qos: 1,
        properties: { userProperties: { 'msg-id': `pub-${seq}` } },
      })
      .then(
        () => {
          acked++;
        },
        () => {
          failed++;
        },
      )
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  // Open loop: whatever happens to the subscriber, the publisher keeps its schedule.
  const ticker = setInterval(() => {
    const due = Math.floor(((performance.now() - started) * rate) / 1000);
    while (sent < due) publishOne();
  }, 5);

  await sleep(500);
  const swapMs: number[] = [];
  const transactionMs: number[] = [];
  const swapEnded = new Map<number, number>();
  const failures: string[] = [];
  for (let i = 1; i <= swaps; i++) {
    const port = broker.ports[i % 2];
    const t0 = performance.now();
    const swapped = new Promise<ReloadReport>((resolve) => {
      const off = runtime.on('reload-end', ({ report }) => {
        if (report.trigger.kind !== 'config') return;
        off();
        resolve(report);
      });
    });
    write({ url: `mqtt://127.0.0.1:${port}`, clientId: `bench-${i}` });
    await config.reload();
    const report = await within(swapped, 30_000, `swap ${i}`);
    const now = performance.now();
    if (!report.ok) failures.push(report.summary);
    swapMs.push(now - t0);
    transactionMs.push(report.durationMs);
    swapEnded.set(report.units[0]?.generation.from ?? 0, now);
    await sleep(gapMs);
  }
  await sleep(500);
  clearInterval(ticker);
  const publishSeconds = (performance.now() - started) / 1000;
  await Promise.allSettled([...inFlight]);
  await publisher.publishAsync('bench/load', 'end', {
    qos: 1,
    properties: { userProperties: { 'msg-id': 'pub-end' } },
  });
  await within(ended, 10_000, 'the end marker');
  await within(
    new Promise<void>((resolve) => {
      onDisposed = () => {
        if (disposedAt.size >= swaps) resolve();
      };
      onDisposed();
    }),
    15_000,
    'every old client to close',
  );

  const received = calls.size;
  let lost = 0;
  for (let seq = 0; seq < sent; seq++) if (!calls.has(seq)) lost++;
  const duplicated = handlerCalls - received;
  const closeMs = [...swapEnded]
    .map(([generation, at]) => (disposedAt.get(generation) ?? Number.NaN) - at)
    .filter((v) => Number.isFinite(v));

  const rows: [string, string][] = [
    ['swaps', String(swaps)],
    ['publish rate (target / achieved)', `${rate} / ${Math.round(sent / publishSeconds)} msg/s`],
    ['sent (acked by the broker)', `${acked}${failed ? ` (+${failed} refused)` : ''}`],
    ['received (distinct messages handled)', String(received)],
    ['lost', String(lost)],
    ['duplicated (handler calls beyond one)', String(duplicated)],
    ['copies dropped by the deduper', String(mqtt.dedup.stats.duplicates)],
    [
      'swap time: config change → new client live (median / p90 / max)',
      `${fmt(percentile(swapMs, 50))} / ${fmt(percentile(swapMs, 90))} / ${fmt(percentile(swapMs, 100))} ms`,
    ],
    [
      'swap transaction (connect, subscribe, health, commit; median / p90 / max)',
      `${fmt(percentile(transactionMs, 50))} / ${fmt(percentile(transactionMs, 90))} / ${fmt(percentile(transactionMs, 100))} ms`,
    ],
    [
      'old client: swap → barrier → disconnected (median / p90 / max)',
      `${fmt(percentile(closeMs, 50))} / ${fmt(percentile(closeMs, 90))} / ${fmt(percentile(closeMs, 100))} ms`,
    ],
    ['failed swaps', String(failures.length)],
  ];
  const table = [
    '| measure | value |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
  ].join('\n');
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const cpu = cpus();
  const machine = `Node ${process.version}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'cpu'}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} before the run, ${
    broker.log
      .find((l) => /mosquitto version/.test(l))
      ?.replace(/^\d+: /, '')
      .replace(/ starting$/, '') ?? 'mosquitto'
  }`;
  console.log(`\nMQTT connector swap benchmark, ${date}\n${machine}\n\n${table}\n`);
  for (const f of failures) console.log(`failed swap: ${f}`);

  if (!args['no-write']) {
    const readme = `# MQTT connector swap benchmark

What it shows: the connector of \`examples/mqtt-service\` keeps every message, exactly once,
while its MQTT connection is replaced again and again under a steady load.

\`\`\`sh
npm run bench:mqtt        # builds dist/, then: tsx bench/mqtt-swap.bench.ts (rewrites this file)
npx tsx bench/mqtt-swap.bench.ts --swaps 50 --rate 1000 --gap 100 --no-write
\`\`\`

## Method

- One mosquitto (Debian's package) on 127.0.0.1 with two listeners, persistence off, started
  by the run (\`test/helpers/mosquitto.ts\`).
- A publisher (its own mqtt.js client, MQTT 5) sends QoS 1 messages to \`bench/load\` on an
  open-loop schedule (${rate} msg/s target, whatever the subscriber does), each with a
  publisher-side id in the \`msg-id\` user property.
- The connector service subscribes \`bench/#\` through its ledger. ${swaps} swaps, ${gapMs} ms
  apart, each by a config change (\`mqtt.clientId\`, and every other time \`mqtt.url\` moves to
  the second listener) → config subscription → a service reload: the new client connects,
  subscribes to the whole ledger, passes a round trip through the broker, goes live at commit;
  the old one is drained, makes a last round trip (barrier), and disconnects.
- After the last swap the publisher stops, an end marker is published, and the run waits for
  the marker and for every old client to be closed before counting.
- lost = acked messages never handled; duplicated = handler calls beyond one per message;
  copies dropped = second copies received during overlaps and discarded by id.
- swap time = from rewriting the config file to the end of the swap's reload (the new client
  live); the transaction is the service reload alone; the old client's close is measured from
  the end of the swap to its \`version-disposed\` event.

## Results (${date})

${machine}

${table}
`;
    writeFileSync(new URL('./README-mqtt.md', import.meta.url), readme);
    console.log('written to bench/README-mqtt.md');
  }

  await publisher.endAsync();
  await runtime.close();
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
  if (lost > 0 || duplicated > 0 || failures.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
