/**
 * Worker units: paused at a safe point around a swap and resumed after; a pause that does not
 * come in time aborts the reload and names the worker; a dead worker comes back with exponential
 * backoff, or stays dead when declared not restartable; a worker thread does the same across
 * threads.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRuntime, createWorker, type Runtime, type RuntimeEvents } from '../../src/index.js';
import { counterUnit, gate, guardUnhandled, nextEvent, turns } from './runtime-helpers.js';

guardUnhandled();

let runtime: Runtime;
afterEach(async () => {
  await runtime?.close();
});

/** Waits until `predicate` holds, checking once per event-loop turn (no timers). */
async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await turns(1);
}

describe('pause and resume around a swap', () => {
  it('holds loops and intervals at a safe point while units commit', async () => {
    runtime = createRuntime({ logger: false });
    let iterations = 0;
    let ticks = 0;
    const loop = runtime.add(
      createWorker({
        name: 'loop',
        async run(ctx) {
          while (!ctx.signal.aborted) {
            await ctx.checkpoint();
            iterations++;
            await new Promise<void>((r) => setImmediate(r));
          }
        },
      }),
    );
    const interval = runtime.add(
      createWorker({ name: 'interval', every: 1, immediate: true, tick: () => void ticks++ }),
    );
    const a = counterUnit('a', []);
    runtime.add(a.unit);
    const first = await runtime.reload();
    expect(first.units.map((u) => [u.name, u.outcome])).toEqual([
      ['loop', 'added'],
      ['interval', 'added'],
      ['a', 'added'],
    ]);
    await until(() => iterations > 0 && ticks > 0);

    const during: Record<string, unknown> = {};
    a.faults.onCommit = async () => {
      during.states = [loop.state, interval.state];
      const before = [iterations, ticks];
      // Were the loop running, it would iterate once per turn.
      await turns(25);
      during.progress = [iterations - (before[0] ?? 0), ticks - (before[1] ?? 0)];
    };
    const report = await runtime.reload();
    expect(report.ok).toBe(true);
    expect(during).toEqual({ states: ['paused', 'paused'], progress: [0, 0] });
    expect(report.paused).toEqual(['loop', 'interval']);
    expect([loop.state, interval.state]).toEqual(['running', 'running']);
    const after = iterations;
    await until(() => iterations > after);
  });

  it('aborts the reload, naming the worker, when a pause does not come in time', async () => {
    runtime = createRuntime({ logger: false });
    const stuck = gate();
    const worker = runtime.add(
      createWorker({
        name: 'stuck',
        pauseTimeout: 20,
        async run(ctx) {
          while (!ctx.signal.aborted) {
            await ctx.checkpoint();
            await stuck.promise; // no safe point while waiting here
            await ctx.sleep(1);
          }
        },
      }),
    );
    const journal: string[] = [];
    const a = counterUnit('a', journal);
    runtime.add(a.unit);
    await runtime.reload();
    journal.length = 0;

    const report = await runtime.reload();
    expect(report.ok).toBe(false);
    expect(report.committed).toBe(false);
    expect(report.error?.code).toBe('HS_ERR_WORKER_PAUSE_TIMEOUT');
    expect(report.error?.message).toBe(
      'stuck did not reach a safe point within 20 ms; the reload was aborted and nothing changed',
    );
    expect(report.units.map((u) => [u.name, u.outcome, u.phase ?? ''])).toEqual([
      ['stuck', 'failed', 'pause'],
      ['a', 'unchanged', ''],
    ]);
    expect(journal).toEqual(['prepare a', 'discard a']);
    expect(a.live).toBe(1);
    expect(report.summary.split('\n')[1]).toMatch(
      /^- stuck: HS_ERR_WORKER_PAUSE_TIMEOUT stuck did/,
    );
    // Not left half paused.
    expect(worker.state).toBe('running');

    stuck.resolve();
    const next = await runtime.reload();
    expect(next.ok).toBe(true);
    expect(a.live).toBe(2);
  });
});

describe('workers without safe points', () => {
  it('do not hold a reload when declared not pausable', async () => {
    runtime = createRuntime({ logger: false, pauseTimeout: 10 });
    const never = gate();
    const worker = runtime.add(
      createWorker({
        name: 'fire-and-forget',
        pausable: false,
        stopTimeout: 10,
        run: () => never.promise,
      }),
    );
    const a = counterUnit('a', []);
    runtime.add(a.unit);
    await runtime.reload();
    const report = await runtime.reload();
    expect(report.ok).toBe(true);
    expect(a.live).toBe(2);
    expect(worker.state).toBe('running');
    never.resolve();
  });
});

describe('dead workers', () => {
  it('are restarted with exponential backoff, and reported', async () => {
    runtime = createRuntime({ logger: false });
    const died: RuntimeEvents['worker-died'][] = [];
    runtime.on('worker-died', (e) => died.push(e));
    const worker = runtime.add(
      createWorker({
        name: 'flaky',
        restart: { initialDelay: 1, factor: 3 },
        async run(ctx) {
          if (ctx.restarts < 3) throw new Error(`crash ${ctx.restarts}`);
          await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        },
      }),
    );
    const third = nextEvent(runtime, 'worker-restarted', (e) => e.restarts === 3);
    await runtime.reload();
    await third;
    expect(died.map((d) => [d.unit, d.restart, d.delay, d.restarts])).toEqual([
      ['flaky', true, 1, 0],
      ['flaky', true, 3, 1],
      ['flaky', true, 9, 2],
    ]);
    expect(died[2]?.error).toMatchObject({
      code: 'HS_ERR_WORKER_DIED',
      message: 'worker flaky died: crash 2',
      cause: { message: 'crash 2' },
    });
    expect(worker.state).toBe('running');
    const status = runtime.status();
    expect(status.workers).toEqual([
      expect.objectContaining({ name: 'flaky', state: 'running', restarts: 3, restartable: true }),
    ]);
    expect(status.lastError).toMatchObject({ source: 'worker', unit: 'flaky' });
    // The next good reload clears the error state.
    await runtime.reload();
    expect(runtime.status().lastError).toBeUndefined();
  });

  it('stay dead when declared not restartable, and say so', async () => {
    runtime = createRuntime({ logger: false });
    const worker = runtime.add(
      createWorker({
        name: 'once',
        restart: false,
        run() {
          throw new Error('fatal: lost the socket');
        },
      }),
    );
    const dead = nextEvent(runtime, 'worker-died');
    await runtime.reload();
    expect(await dead).toMatchObject({ unit: 'once', restart: false, restarts: 0 });
    expect(worker.state).toBe('dead');
    expect(runtime.status().workers).toEqual([
      {
        name: 'once',
        state: 'dead',
        restarts: 0,
        restartable: false,
        lastError: expect.objectContaining({
          code: 'HS_ERR_WORKER_DIED',
          message: 'worker once died: fatal: lost the socket',
        }),
      },
    ]);
    await runtime.reload();
    expect(worker.state).toBe('dead');
    expect(worker.restarts).toBe(0);
  });

  it('a restart that comes due during a reload waits for the resume', async () => {
    // Only setTimeout is faked: the backoff timer fires exactly when the test says so.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      runtime = createRuntime({ logger: false });
      let runs = 0;
      const worker = runtime.add(
        createWorker({
          name: 'w',
          restart: { initialDelay: 50 },
          async run(ctx) {
            runs++;
            if (runs === 1) throw new Error('first run dies');
            await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
          },
        }),
      );
      const a = counterUnit('a', []);
      runtime.add(a.unit);
      const died = nextEvent(runtime, 'worker-died');
      await runtime.reload();
      await died;
      const events: string[] = [];
      runtime.on('worker-restarted', () => events.push('restarted'));
      runtime.on('reload-end', () => events.push('reload-end'));
      a.faults.onCommit = () => {
        vi.advanceTimersByTime(100);
        events.push(`commit while ${worker.state}`);
      };
      await runtime.reload();
      expect(events).toEqual(['commit while backoff', 'restarted', 'reload-end']);
      expect(runs).toBe(2);
      expect(worker.state).toBe('running');
    } finally {
      vi.useRealTimers();
    }
  });

  it('stops for good on close', async () => {
    runtime = createRuntime({ logger: false });
    let runs = 0;
    const worker = runtime.add(
      createWorker({
        name: 'w',
        async run(ctx) {
          runs++;
          while (!ctx.signal.aborted) await ctx.sleep(1_000);
        },
      }),
    );
    await runtime.reload();
    await until(() => runs === 1);
    await runtime.close();
    expect(worker.state).toBe('stopped');
    expect(runs).toBe(1);
  });
});

describe('worker threads', () => {
  it('pause at the thread’s safe point, restart after a death, and stop on close', async () => {
    runtime = createRuntime({ logger: false });
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const starts = new Int32Array(new SharedArrayBuffer(4));
    const messages: Array<Record<string, number>> = [];
    let onMessage: (() => void) | undefined;
    const worker = runtime.add(
      createWorker({
        name: 'thread',
        thread: new URL('../fixtures/runtime-workers/boot.mjs', import.meta.url),
        workerData: {
          entry: new URL('../fixtures/runtime-workers/thread.ts', import.meta.url).href,
          counter,
          starts,
          dieOnStarts: 1,
        },
        restart: { initialDelay: 1 },
        pauseTimeout: 30_000,
        onMessage(message) {
          messages.push(message as Record<string, number>);
          onMessage?.();
        },
      }),
    );
    const a = counterUnit('a', []);
    runtime.add(a.unit);
    const died = nextEvent(runtime, 'worker-died');
    const restarted = nextEvent(runtime, 'worker-restarted');
    await runtime.reload();
    expect((await died).error.cause?.message).toBe('thread start 1 failed');
    await restarted;
    const message = (match: (m: Record<string, number>) => boolean) =>
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (messages.some(match)) {
            onMessage = undefined;
            resolve();
          }
        };
        onMessage = check;
        check();
      });
    await message((m) => m.iteration !== undefined);

    const during: Record<string, unknown> = {};
    a.faults.onCommit = async () => {
      during.state = worker.state;
      const before = Atomics.load(counter, 0);
      await turns(50);
      during.progress = Atomics.load(counter, 0) - before;
    };
    const report = await runtime.reload();
    expect(report.ok).toBe(true);
    expect(during).toEqual({ state: 'paused', progress: 0 });
    const resumedFrom = Atomics.load(counter, 0);
    await message((m) => (m.iteration ?? 0) > resumedFrom);

    const thread = worker.thread;
    expect(thread).toBeDefined();
    await runtime.close();
    expect(worker.state).toBe('stopped');
    expect(messages).toContainEqual({ stopped: 2 });
  });
});
