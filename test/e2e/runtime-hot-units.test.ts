/**
 * Module-like units through the public API: named state carried across versions, migrate
 * (and its failure keeping the old version and its state), rollback through the transaction,
 * delegation, activation scopes, `register()`, the class helper, and `defineUnit`.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createHotUnit,
  createRuntime,
  handleOf,
  hot,
  isHotswapError,
  type Runtime,
  registerHotUnit,
} from '../../src/index.js';
import { guardUnhandled, nextEvent } from './runtime-helpers.js';

guardUnhandled();

let runtime: Runtime;
afterEach(async () => {
  await runtime?.close();
});

/** A version of a small "module": its code label, named state, and a method. */
interface Counter {
  label: string;
  count: number;
  history: string[];
  hit(): number;
}

function counterSource(labels: string[]) {
  let n = 0;
  return () => {
    const label = labels[Math.min(n++, labels.length - 1)] as string;
    return {
      label,
      count: 0,
      history: [] as string[],
      hit(this: Counter) {
        this.history.push(this.label);
        return ++this.count;
      },
    } satisfies Counter;
  };
}

describe('hot state', () => {
  it('carries the named keys into the new version', async () => {
    runtime = createRuntime({ logger: false });
    const counter = runtime.register<Counter>({
      name: 'counter',
      versionSource: counterSource(['v1', 'v2']),
      state: ['count', 'history'],
    });
    const added = await runtime.reload();
    expect(added.units[0]).toMatchObject({ outcome: 'added', generation: { from: 0, to: 1 } });
    counter.current.hit();
    counter.current.hit();
    const refreshed = await runtime.reload();
    expect(refreshed.units[0]).toMatchObject({
      outcome: 'refreshed',
      generation: { from: 1, to: 2 },
    });
    expect(counter.current.label).toBe('v2');
    expect(counter.current.hit()).toBe(3);
    expect(counter.current.history).toEqual(['v1', 'v1', 'v2']);
  });

  it('migrates state, and a migrate that throws keeps the old version and its state', async () => {
    runtime = createRuntime({ logger: false });
    let breakMigrate = false;
    const seen: Array<{ direction: string; from: number; to: number }> = [];
    const counter = runtime.register<Counter & { total?: number }>({
      name: 'counter',
      versionSource: counterSource(['v1', 'v2', 'v3']),
      state: ['count', 'history'],
      migrate(state, info) {
        seen.push({ direction: info.direction, from: info.from, to: info.to });
        if (breakMigrate) throw new Error('cannot read old state shape');
        return { ...state, count: (state.count as number) * 10 };
      },
    });
    await runtime.reload();
    counter.current.hit();
    await runtime.reload();
    expect(counter.current.count).toBe(10);
    const before = counter.current;

    breakMigrate = true;
    before.hit();
    const report = await runtime.reload();
    expect(report.ok).toBe(false);
    expect(report.committed).toBe(false);
    const error = report.units[0]?.error;
    expect(error?.code).toBe('HS_ERR_UNIT_MIGRATE');
    expect(error?.message).toContain('migrate (upgrade 2 → 3) threw: cannot read old state shape');
    expect(error?.cause?.message).toBe('cannot read old state shape');
    // The same live object, with its state untouched, still answers.
    expect(counter.current).toBe(before);
    expect(counter.current.label).toBe('v2');
    expect(counter.current.count).toBe(11);
    expect(counter.generation).toBe(2);
    expect(seen.map((s) => `${s.direction} ${s.from}→${s.to}`)).toEqual([
      'upgrade 1→2',
      'upgrade 2→3',
    ]);
  });

  it('refuses an asynchronous migrate', async () => {
    runtime = createRuntime({ logger: false });
    runtime.register<Counter>({
      name: 'counter',
      versionSource: counterSource(['v1', 'v2']),
      state: ['count'],
      // @ts-expect-error: migrate must be synchronous
      migrate: async (state) => state,
    });
    await runtime.reload();
    const report = await runtime.reload();
    expect(report.units[0]?.error?.message).toContain('migrate returned a promise');
  });
});

describe('rollback', () => {
  it('rollback(1) after v0 → v1 → v2 gives v1, with the live state carried back', async () => {
    runtime = createRuntime({ logger: false });
    const counter = runtime.register<Counter>({
      name: 'counter',
      versionSource: counterSource(['v0', 'v1', 'v2']),
      state: ['count'],
    });
    await runtime.reload();
    await runtime.reload();
    await runtime.reload();
    expect(counter.current.label).toBe('v2');
    counter.current.hit();
    const report = await runtime.rollback('counter');
    expect(report).toMatchObject({ kind: 'rollback', ok: true, committed: true });
    expect(report.trigger).toEqual({ kind: 'rollback' });
    expect(report.units[0]?.summary).toBe('generation 4 = generation 2');
    expect(counter.current.label).toBe('v1');
    expect(counter.current.count).toBe(1);
    // A rollback is a commit like any other: rolling back again returns to v2.
    await runtime.rollback('counter', 1);
    expect(counter.current.label).toBe('v2');
  });

  it('rolls back further with steps, and fails without an earlier version, changing nothing', async () => {
    runtime = createRuntime({ logger: false });
    const counter = runtime.register<Counter>({
      name: 'counter',
      versionSource: counterSource(['v0', 'v1', 'v2']),
      keep: 1,
    });
    await runtime.reload();
    await runtime.reload();
    await runtime.reload();
    const tooFar = await runtime.rollback('counter', 2);
    expect(tooFar.ok).toBe(false);
    expect(tooFar.units[0]?.error?.code).toBe('HS_ERR_UNIT_ROLLBACK');
    expect(tooFar.units[0]?.error?.hint).toContain('keep');
    expect(counter.current.label).toBe('v2');
    await expect(runtime.rollback('counter', 0)).rejects.toMatchObject({
      code: 'HS_ERR_UNIT_ROLLBACK',
    });
  });

  it('rollback() of every unit skips units with nothing to return to', async () => {
    runtime = createRuntime({ logger: false });
    const a = runtime.register({ name: 'a', versionSource: counterSource(['a0', 'a1']) });
    const b = runtime.register({ name: 'b', versionSource: counterSource(['b0', 'b1']) });
    await runtime.reload();
    await runtime.reload({ units: 'a' });
    const report = await runtime.rollback();
    expect(report.ok).toBe(true);
    expect(a.current.label).toBe('a0');
    expect(b.current.label).toBe('b0');
    expect(report.units.find((u) => u.name === 'b')?.summary).toBe('no earlier version');
  });
});

describe('handles, delegation and scopes', () => {
  it('delegates call the live version; activation scopes end with their version', async () => {
    runtime = createRuntime({ logger: false });
    const bus = new EventEmitter();
    const unit = createHotUnit({
      name: 'greeter',
      versionSource: ({ generation }) => ({
        generation,
        greet(name: string): string {
          return `v${generation}: hello ${name}`;
        },
      }),
      delegates: ['greet'],
      activate(version, scope) {
        scope.on(bus, 'ping', () => version.greet('bus'));
      },
    });
    runtime.add(unit);
    const greet = unit.delegates.greet;
    const viaHandle = unit.handle.delegate('greet');
    await runtime.reload();
    expect(greet('ada')).toBe('v1: hello ada');
    expect(bus.listenerCount('ping')).toBe(1);
    const disposed = nextEvent(runtime, 'version-disposed', (e) => e.generation === 1);
    await runtime.reload();
    expect(greet('ada')).toBe('v2: hello ada');
    expect(viaHandle('bob')).toBe('v2: hello bob');
    await disposed;
    // The old version's listener is gone, the new one's is there: never doubled.
    expect(bus.listenerCount('ping')).toBe(1);
    expect(unit.handle.delegateAll().greet('cy')).toBe('v2: hello cy');
  });

  it('a rolled-back version listens again; never two versions at once', async () => {
    runtime = createRuntime({ logger: false });
    const bus = new EventEmitter();
    const heard: number[] = [];
    let failVerify = false;
    const handle = runtime.register({
      name: 'listener',
      versionSource: ({ generation }) => ({ generation }),
      activate(version, scope) {
        scope.on(bus, 'ping', () => heard.push(version.generation));
      },
      verify() {
        if (failVerify) throw new Error('not healthy');
      },
    });
    await runtime.reload();
    bus.emit('ping');
    failVerify = true;
    const report = await runtime.reload();
    expect(report.units[0]).toMatchObject({ outcome: 'failed', phase: 'verify' });
    expect(handle.current.generation).toBe(1);
    bus.emit('ping');
    failVerify = false;
    await runtime.reload();
    bus.emit('ping');
    expect(heard).toEqual([1, 1, 3]);
    expect(bus.listenerCount('ping')).toBe(1);
  });

  it('a handle read before the first load says so', async () => {
    runtime = createRuntime({ logger: false });
    const handle = registerHotUnit(runtime, { name: 'late', versionSource: () => ({ x: 1 }) });
    let caught: unknown;
    try {
      void handle.current;
    } catch (err) {
      caught = err;
    }
    expect(isHotswapError(caught, 'HS_ERR_UNIT_NOT_READY')).toBe(true);
    await runtime.reload();
    expect(handle.current.x).toBe(1);
  });

  it('stays unchanged when the changed files are not its own', async () => {
    runtime = createRuntime({ logger: false });
    let builds = 0;
    runtime.register({
      name: 'routes',
      files: ['/app/routes.ts'],
      versionSource: () => ({ build: ++builds }),
    });
    await runtime.reload();
    const other = await runtime.reload({ changedFiles: ['/app/other.ts'] });
    expect(other.units[0]?.outcome).toBe('unchanged');
    const own = await runtime.reload({ changedFiles: ['/app/routes.ts'] });
    expect(own.units[0]?.outcome).toBe('refreshed');
    expect(builds).toBe(2);
  });
});

describe('the class helper', () => {
  it('registers on first evaluation and stages each re-evaluated class', async () => {
    runtime = createRuntime({ logger: false });
    const options = { name: 'greeter', state: ['count'] as 'count'[] };

    // What a module body does, once per evaluation: `@hot(runtime, options) class Greeter {}`.
    class GreeterV1 {
      count = 0;
      greet(name: string) {
        return `hello ${name} #${++this.count}`;
      }
    }
    hot<GreeterV1>(runtime, options)(GreeterV1);
    const first = await runtime.reload();
    expect(first.units[0]?.outcome).toBe('added');
    const handle = handleOf(GreeterV1);
    expect(handle.current.greet('ada')).toBe('hello ada #1');

    const unchanged = await runtime.reload();
    expect(unchanged.units[0]?.outcome).toBe('unchanged');

    class GreeterV2 {
      count = 0;
      greet(name: string) {
        return `hi ${name} (${++this.count})`;
      }
    }
    hot<GreeterV2>(runtime, options)(GreeterV2);
    const second = await runtime.reload();
    expect(second.units[0]?.outcome).toBe('refreshed');
    expect(handleOf(GreeterV2)).toBe(handle);
    expect(handle.current).toBeInstanceOf(GreeterV2);
    expect(handle.current.greet('ada')).toBe('hi ada (2)');
  });

  it('refuses a name taken by another unit', () => {
    runtime = createRuntime({ logger: false });
    runtime.register({ name: 'taken', versionSource: () => ({}) });
    class Taken {}
    expect(() => hot(runtime, { name: 'taken' })(Taken)).toThrow(
      expect.objectContaining({ code: 'HS_ERR_UNIT_DUPLICATE' }),
    );
  });
});
