/**
 * The service unit in a real runtime, on instances that record what is done to them: a new
 * instance is created, started and health-checked beside the live one and swapped in at commit;
 * each failing step keeps the live one and names itself; the old instance is drained, then
 * closed; drain refuses new work; drain timeouts close stragglers and report them; a dependent
 * racing its work against swaps never holds a closed instance; config keys drive swaps.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createConfig,
  createRuntime,
  createService,
  isHotswapError,
  type Runtime,
  type ServiceCloseInfo,
  type ServiceHandle,
  type ServiceOptions,
  type UnitStatusEntry,
} from '../../src/index.js';
import { counterUnit, gate, guardUnhandled, nextEvent } from './runtime-helpers.js';

guardUnhandled();

let runtime: Runtime;
const dirs: string[] = [];
afterEach(async () => {
  await runtime?.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A service instance that refuses to be used once closed. */
class Instance {
  started = false;
  closed: ServiceCloseInfo | undefined;
  constructor(
    readonly generation: number,
    readonly label: string,
  ) {}
  use(): string {
    if (this.closed) throw new Error(`generation ${this.generation} used after close`);
    return this.label;
  }
}

interface Recorder {
  journal: string[];
  instances: Instance[];
  /** Per-generation faults: `create:2` makes generation 2's create throw. */
  faults: Set<string>;
  label: string;
}

function recorded(rec: Recorder, extra: Partial<ServiceOptions<Instance>> = {}) {
  const options: ServiceOptions<Instance> = {
    create: ({ generation, previous }) => {
      rec.journal.push(`create ${generation}${previous ? ` (live ${previous.generation})` : ''}`);
      if (rec.faults.has(`create:${generation}`)) throw new Error('no such host');
      const instance = new Instance(generation, rec.label);
      rec.instances.push(instance);
      return instance;
    },
    start: (instance) => {
      rec.journal.push(`start ${instance.generation}`);
      if (rec.faults.has(`start:${instance.generation}`)) throw new Error('connection refused');
      instance.started = true;
    },
    healthCheck: (instance) => {
      rec.journal.push(`health ${instance.generation}`);
      if (rec.faults.has(`health:${instance.generation}`)) return false;
      return true;
    },
    close: (instance, info) => {
      rec.journal.push(
        `close ${instance.generation} ${info.reason}${info.forced ? ' forced' : ''}`,
      );
      instance.closed = info;
    },
    onSwap: (next, previous) => {
      rec.journal.push(`swap ${next.generation}${previous ? ` from ${previous.generation}` : ''}`);
    },
    ...extra,
  };
  return options;
}

function setup(extra: Partial<ServiceOptions<Instance>> = {}) {
  runtime = createRuntime({ logger: false });
  const rec: Recorder = { journal: [], instances: [], faults: new Set(), label: 'a' };
  const handle = runtime.service('db', recorded(rec, extra));
  return { rec, handle };
}

const unitStatus = (name: string): UnitStatusEntry =>
  runtime.status().units.find((u) => u.name === name) as UnitStatusEntry;

describe('swap', () => {
  it('builds, starts and checks the new instance beside the live one, swaps at commit, then closes the old', async () => {
    const { rec, handle } = setup();
    const first = await runtime.reload();
    expect(first.units[0]).toMatchObject({ name: 'db', kind: 'service', outcome: 'added' });
    expect(handle.current.generation).toBe(1);
    expect(rec.journal).toEqual(['create 1', 'start 1', 'health 1', 'swap 1']);

    rec.journal.length = 0;
    const closed = nextEvent(runtime, 'version-disposed', (e) => e.unit === 'db');
    const report = await runtime.reload({ units: 'db' });
    expect(report.ok).toBe(true);
    expect(report.units[0]).toMatchObject({ outcome: 'refreshed', generation: { from: 1, to: 2 } });
    expect(report.units[0]?.summary).toMatch(
      /^generation 2 \(create .* ms, start .* ms, health .* ms\)$/,
    );
    expect(await closed).toMatchObject({ generation: 1, forced: false, errors: [] });
    expect(rec.journal).toEqual([
      'create 2 (live 1)',
      'start 2',
      'health 2',
      'swap 2 from 1',
      'close 1 retired',
    ]);
    expect(handle.current.generation).toBe(2);
    expect(rec.instances[0]?.closed?.reason).toBe('retired');
    expect(rec.instances[1]?.closed).toBeUndefined();
  });

  it('a full reload rebuilds the service; a file-watcher reload does not', async () => {
    const { handle } = setup();
    await runtime.reload();
    await runtime.reload();
    expect(handle.generation).toBe(2);
    const watcher = await runtime.reload({ changedFiles: ['/app/src/a.ts'] });
    expect(watcher.units[0]?.outcome).toBe('unchanged');
    expect(handle.generation).toBe(2);
  });

  it('dependents see the new instance through the handle; onSwap listeners rewire the rest', async () => {
    const { handle } = setup();
    await runtime.reload();
    const wired: string[] = [];
    const off = handle.onSwap((next, previous) =>
      wired.push(`${previous?.generation ?? '-'}→${next.generation}`),
    );
    const query = handle.delegate('use');
    await runtime.reload({ units: 'db' });
    expect(wired).toEqual(['1→2']);
    expect(handle.current.generation).toBe(2);
    expect(query()).toBe('a');
    off();
    await runtime.reload({ units: 'db' });
    expect(wired).toEqual(['1→2']);
  });

  it('an onSwap listener that throws undoes the swap: the old instance stays, the new one is closed', async () => {
    const { rec, handle } = setup();
    await runtime.reload();
    const wired: string[] = [];
    handle.onSwap((next) => wired.push(`a→${next.generation}`));
    handle.onSwap((next) => {
      if (next.generation === 2) throw new Error('cannot rewire');
    });
    const closed = nextEvent(runtime, 'version-disposed', (e) => e.generation === 2);
    const report = await runtime.reload({ units: 'db' });
    expect(report.ok).toBe(false);
    expect(report.units[0]).toMatchObject({ outcome: 'failed', phase: 'commit' });
    expect(report.units[0]?.error?.message).toContain('onSwap threw: cannot rewire');
    expect(handle.current.generation).toBe(1);
    // Re-pointed back to the live instance.
    expect(wired).toEqual(['a→2', 'a→1']);
    await closed;
    expect(rec.instances[1]?.closed?.reason).toBe('discarded');
    expect(rec.instances[0]?.closed).toBeUndefined();
  });

  it('a later unit failing verify rolls the swap back: the old instance is live again, the new one closed', async () => {
    const { rec, handle } = setup();
    const checker = counterUnit('checker', [], { dependsOn: ['db'] });
    runtime.add(checker.unit);
    await runtime.reload();
    checker.faults.verify = () => new Error('db answers wrong');
    const closed = nextEvent(runtime, 'version-disposed', (e) => e.generation === 2);
    const report = await runtime.reload();
    expect(report.ok).toBe(false);
    expect(report.units.find((u) => u.name === 'db')).toMatchObject({
      outcome: 'unchanged',
      rolledBack: true,
    });
    expect(handle.current.generation).toBe(1);
    await closed;
    expect(rec.journal.slice(-3)).toEqual(['swap 2 from 1', 'swap 1 from 2', 'close 2 discarded']);
    expect(rec.instances[0]?.closed).toBeUndefined();
  });

  it('generations are never reused: an undone instance still draining keeps its number', async () => {
    const { rec, handle } = setup();
    const checker = counterUnit('checker', [], { dependsOn: ['db'] });
    runtime.add(checker.unit);
    await runtime.reload();
    // Work that leases generation 2 between its commit and the rollback.
    let held: ReturnType<typeof handle.lease> | undefined;
    handle.onSwap((next) => {
      if (next.generation === 2) held = handle.lease();
    });
    checker.faults.verify = () => new Error('db answers wrong');
    expect((await runtime.reload()).ok).toBe(false);
    checker.faults.verify = undefined;
    expect((await runtime.reload()).ok).toBe(true);
    expect(handle.generation).toBe(3);
    expect(handle.versions().map((v) => [v.generation, v.state, v.leases])).toEqual([
      [2, 'retiring', 1],
      [3, 'live', 0],
    ]);
    const closed = nextEvent(runtime, 'version-disposed', (e) => e.generation === 2);
    held?.release();
    await closed;
    expect(rec.instances.map((i) => [i.generation, i.closed?.reason])).toEqual([
      [1, 'retired'],
      [2, 'discarded'],
      [3, undefined],
    ]);
  });

  it('keeps no earlier instance: rolling it back by name fails, a rollback of everything skips it', async () => {
    const { handle } = setup();
    await runtime.reload();
    await runtime.reload({ units: 'db' });
    const named = await runtime.rollback('db');
    expect(named.units[0]?.error).toMatchObject({
      code: 'HS_ERR_UNIT_ROLLBACK',
      message: 'db keeps no earlier versions',
    });
    const all = await runtime.rollback();
    expect(all.ok).toBe(true);
    expect(all.units.map((u) => u.name)).not.toContain('db');
    expect(handle.generation).toBe(2);
  });

  it('a discarded preparation (another unit failed to prepare) closes the new instance', async () => {
    const { rec, handle } = setup();
    const other = counterUnit('other', []);
    runtime.add(other.unit);
    await runtime.reload();
    other.faults.prepare = () => new Error('broken');
    const report = await runtime.reload();
    expect(report.ok).toBe(false);
    expect(rec.journal.slice(-1)).toEqual(['close 2 discarded']);
    expect(handle.current.generation).toBe(1);
  });
});

describe('failures keep the live instance and name the step', () => {
  const cases = [
    ['create', 'HS_ERR_SERVICE_CREATE', /create of generation 2 failed: no such host/, []],
    [
      'start',
      'HS_ERR_SERVICE_START',
      /start of generation 2 failed: connection refused/,
      ['close 2 failed'],
    ],
    [
      'health',
      'HS_ERR_SERVICE_HEALTH',
      /health check of generation 2 failed: the health check returned false/,
      ['close 2 failed'],
    ],
  ] as const;
  for (const [step, code, message, closes] of cases) {
    it(`${step}`, async () => {
      const { rec, handle } = setup();
      await runtime.reload();
      rec.faults.add(`${step}:2`);
      rec.journal.length = 0;
      const report = await runtime.reload({ units: 'db' });
      expect(report.ok).toBe(false);
      expect(report.committed).toBe(false);
      const unit = report.units[0];
      expect(unit).toMatchObject({ name: 'db', outcome: 'failed', phase: 'prepare' });
      expect(unit?.error?.code).toBe(code);
      expect(unit?.error?.message).toMatch(message);
      expect(unit?.error?.hint).toBe('generation 1 stays live');
      expect(unit?.error?.cause).toBeDefined();
      expect(report.summary).toContain(
        code === 'HS_ERR_SERVICE_CREATE'
          ? 'no such host'
          : step === 'start'
            ? 'connection refused'
            : 'returned false',
      );
      // The live instance was never touched; the new one, once created, was closed.
      expect(rec.journal.filter((l) => l.startsWith('close'))).toEqual([...closes]);
      expect(handle.current.generation).toBe(1);
      expect(handle.current.use()).toBe('a');
      expect(unitStatus('db')).toMatchObject({
        generation: 1,
        state: 'active',
        lastError: { code },
      });
      // The next good reload swaps and clears the error.
      rec.faults.clear();
      const again = await runtime.reload({ units: 'db' });
      expect(again.ok).toBe(true);
      expect(unitStatus('db').lastError).toBeUndefined();
    });
  }

  it('a step that hangs fails by its time limit, with its signal aborted', async () => {
    let aborted: unknown;
    const { handle } = setup({
      timeouts: { start: 50 },
      start: (instance, ctx) =>
        instance.generation === 1
          ? undefined
          : new Promise<void>((_, reject) => {
              ctx.signal.addEventListener('abort', () => {
                aborted = ctx.signal.reason;
                reject(new Error('gave up'));
              });
            }),
    });
    await runtime.reload();
    const report = await runtime.reload({ units: 'db' });
    expect(report.units[0]?.error?.code).toBe('HS_ERR_SERVICE_START');
    expect(report.units[0]?.error?.message).toContain('start did not finish within 50 ms');
    expect(String(aborted)).toContain('did not finish within 50 ms');
    expect(handle.current.generation).toBe(1);
  });

  it('a first load that fails leaves the service failed with no instance; the next reload retries', async () => {
    const { rec, handle } = setup();
    rec.faults.add('start:1');
    const report = await runtime.reload();
    expect(report.units[0]?.error?.code).toBe('HS_ERR_SERVICE_START');
    expect(report.units[0]?.error?.hint).toBe('no instance is live yet');
    expect(handle.ready).toBe(false);
    expect(unitStatus('db').state).toBe('failed');
    rec.faults.clear();
    expect((await runtime.reload()).ok).toBe(true);
    expect(unitStatus('db').state).toBe('active');
  });

  it('a close that throws is reported as HS_ERR_SERVICE_CLOSE with the disposal', async () => {
    const { handle } = setup({
      close: () => {
        throw new Error('socket already gone');
      },
    });
    await runtime.reload();
    const disposed = nextEvent(runtime, 'version-disposed', (e) => e.generation === 1);
    await runtime.reload({ units: 'db' });
    const event = await disposed;
    expect(event.errors[0]?.code).toBe('HS_ERR_SERVICE_CLOSE');
    expect(event.errors[0]?.message).toContain('socket already gone');
    expect(runtime.status().lastError).toMatchObject({ source: 'dispose', unit: 'db' });
    expect(handle.generation).toBe(2);
  });
});

describe('leases and drain', () => {
  it('in-flight work finishes on the old instance; it is closed only when the work ends', async () => {
    const { rec, handle } = setup();
    await runtime.reload();
    const slow = gate();
    const work = handle.withLease(async (db) => {
      await slow.promise;
      return db.use();
    });
    await runtime.reload({ units: 'db' });
    expect(handle.current.generation).toBe(2);
    expect(rec.instances[0]?.closed).toBeUndefined();
    expect(unitStatus('db')).toMatchObject({
      leases: 1,
      details: {
        leases: 0,
        instances: [
          { generation: 1, state: 'retiring', leases: 1 },
          { generation: 2, state: 'live', leases: 0 },
        ],
      },
    });
    const closed = nextEvent(runtime, 'version-disposed', (e) => e.generation === 1);
    slow.resolve();
    expect(await work).toBe('a');
    expect(await closed).toMatchObject({ forced: false });
    expect(rec.instances[0]?.closed?.reason).toBe('retired');
  });

  it('the drain timeout closes an instance still leased and reports each lease cut', async () => {
    const { rec, handle } = setup({ drainTimeout: 30 });
    await runtime.reload();
    const stuck = handle.lease();
    const closed = nextEvent(runtime, 'version-disposed', (e) => e.generation === 1);
    await runtime.reload({ units: 'db' });
    const event = await closed;
    expect(event.forced).toBe(true);
    expect(event.errors[0]?.code).toBe('HS_ERR_LEASE_TIMEOUT');
    expect(event.errors[0]?.message).toBe(
      'db: generation 1 was closed with 1 lease(s) still in flight after the 30 ms drain timeout',
    );
    expect(rec.instances[0]?.closed).toMatchObject({ reason: 'retired', forced: true });
    expect(stuck.released).toBe(true);
    expect(unitStatus('db').details?.stragglers).toEqual([
      expect.objectContaining({ generation: 1, leases: 1 }),
    ]);
    expect(runtime.status().lastError).toMatchObject({
      source: 'dispose',
      error: { code: 'HS_ERR_LEASE_TIMEOUT' },
    });
    stuck.release();
  });

  it('a younger instance still draining is not cut early when an older one times out', async () => {
    const { rec, handle } = setup({ drainTimeout: 40 });
    await runtime.reload();
    const stuck = handle.lease(); // on generation 1, never released
    await runtime.reload({ units: 'db' });
    const slow = handle.lease(); // on generation 2, released later
    await runtime.reload({ units: 'db' });
    const first = nextEvent(runtime, 'version-disposed', (e) => e.generation === 1);
    const second = nextEvent(runtime, 'version-disposed', (e) => e.generation === 2);
    // Generation 2 ends on its own, before its own deadline; generation 1 is cut after.
    slow.release();
    expect(await second).toMatchObject({ forced: false, errors: [] });
    expect(await first).toMatchObject({ forced: true });
    expect(rec.instances[1]?.closed?.forced).toBe(false);
    expect(rec.instances[0]?.closed?.forced).toBe(true);
    stuck.release();
  });

  it('runtime drain refuses new leases clearly and lets in-flight work finish', async () => {
    runtime = createRuntime({ logger: false });
    const rec: Recorder = { journal: [], instances: [], faults: new Set(), label: 'a' };
    // Added as a plain unit: the runtime still connects it (drain refusal).
    const unit = runtime.add(createService('db', recorded(rec)));
    const handle: ServiceHandle<Instance> = unit.handle;
    await runtime.reload();
    const slow = gate();
    const inFlight = handle.withLease(async (db) => {
      await slow.promise;
      return db.use();
    });
    const drained = runtime.drain({ timeout: 10_000 });
    expect(handle.draining).toBe(true);
    expect(unitStatus('db').state).toBe('draining');
    for (const attempt of [
      () => handle.lease(),
      () => handle.withLease((db) => db.use()),
      () => runtime.lease('db'),
    ]) {
      let caught: unknown;
      try {
        attempt();
      } catch (err) {
        caught = err;
      }
      expect(isHotswapError(caught, 'HS_ERR_DRAINING')).toBe(true);
      expect((caught as Error).message).toBe(
        'db: the process is draining and the service takes no new work',
      );
    }
    // Reading the live instance is not new work.
    expect(handle.current.use()).toBe('a');
    slow.resolve();
    expect(await inFlight).toBe('a');
    expect(await drained).toMatchObject({ drained: true, stragglers: [] });
    runtime.undrain();
    expect(handle.withLease((db) => db.use())).toBe('a');
    expect(unitStatus('db').state).toBe('active');
  });

  it('a runtime drain timeout closes replaced instances still leased and reports every straggler', async () => {
    const { rec, handle } = setup();
    await runtime.reload();
    const onOld = handle.lease();
    await runtime.reload({ units: 'db' });
    const onLive = handle.lease();
    const closed = nextEvent(runtime, 'version-disposed', (e) => e.generation === 1);
    const result = await runtime.drain({ timeout: 30 });
    expect(result.drained).toBe(false);
    expect(
      result.stragglers.map((s) => [
        s.unit,
        s.generation,
        s.leases,
        s.live,
        s.disposed,
        s.error.code,
      ]),
    ).toEqual([
      ['db', 1, 1, false, true, 'HS_ERR_LEASE_TIMEOUT'],
      ['db', 2, 1, true, false, 'HS_ERR_LEASE_TIMEOUT'],
    ]);
    expect(await closed).toMatchObject({ forced: true });
    expect(rec.instances[0]?.closed?.reason).toBe('retired');
    // The live instance is never closed by a drain.
    expect(rec.instances[1]?.closed).toBeUndefined();
    onOld.release();
    onLive.release();
  });

  it('a dependent racing its work against swaps never holds a closed instance', async () => {
    const { rec, handle } = setup();
    await runtime.reload();
    const failures: unknown[] = [];
    let stop = false;
    let done = 0;
    const worker = async (): Promise<void> => {
      while (!stop) {
        try {
          await handle.withLease(async (db) => {
            db.use();
            // Hold the lease across turns of the event loop, while swaps go on.
            await new Promise<void>((r) => setImmediate(r));
            db.use();
            await Promise.resolve();
            db.use();
          });
          done++;
        } catch (err) {
          failures.push(err);
        }
      }
    };
    const disposed = new Set<number>();
    let onDisposed = (): void => {};
    runtime.on('version-disposed', ({ generation }) => {
      disposed.add(generation);
      onDisposed();
    });
    const workers = Array.from({ length: 50 }, worker);
    for (let i = 0; i < 40; i++) {
      const report = await runtime.reload({ units: 'db' });
      expect(report.ok).toBe(true);
      await new Promise<void>((r) => setImmediate(r));
    }
    stop = true;
    await Promise.all(workers);
    expect(failures).toEqual([]);
    expect(done).toBeGreaterThan(40);
    // Every replaced instance was closed once its work ended; only the live one is open.
    await new Promise<void>((resolve) => {
      onDisposed = () => {
        if (disposed.size === 40) resolve();
      };
      onDisposed();
    });
    expect(rec.instances.filter((i) => !i.closed).map((i) => i.generation)).toEqual([41]);
    expect(rec.journal.filter((l) => l.endsWith('forced'))).toEqual([]);
  });

  it('runtime close closes every instance, telling which were still leased', async () => {
    const { rec, handle } = setup();
    await runtime.reload();
    const lease = handle.lease();
    await runtime.reload({ units: 'db' });
    await runtime.close();
    expect(rec.instances.map((i) => [i.generation, i.closed?.reason, i.closed?.forced])).toEqual([
      [1, 'closed', true],
      [2, 'closed', false],
    ]);
    expect(lease.released).toBe(true);
  });
});

describe('config keys', () => {
  function configured() {
    const dir = mkdtempSync(join(tmpdir(), 'hs-service-config-'));
    dirs.push(dir);
    const write = (host: string, pool = 5, other = 'x') =>
      writeFileSync(
        join(dir, 'app.yaml'),
        `db:\n  host: ${host}\n  pool: ${pool}\nother: ${other}\n`,
      );
    write('db-a');
    runtime = createRuntime({ logger: false });
    const config = runtime.add(createConfig({ files: ['app.yaml'], cwd: dir, env: false }));
    const rec: Recorder = { journal: [], instances: [], faults: new Set(), label: '' };
    const base = recorded(rec);
    const handle = runtime.service('db', {
      ...base,
      dependsOn: ['config'],
      configKeys: ['db.host', 'db.pool'],
      create: (ctx) => {
        rec.label = String(config.get('db.host'));
        return base.create(ctx);
      },
    });
    return { config, handle, rec, write };
  }

  it('loads with its config in one reload: created at commit, after the config it reads', async () => {
    const { handle } = configured();
    const report = await runtime.reload();
    expect(report.ok).toBe(true);
    expect(report.units.map((u) => [u.name, u.outcome, u.summary])).toEqual([
      ['config', 'added', expect.any(String)],
      ['db', 'added', 'created at commit, after config'],
    ]);
    expect(handle.current.use()).toBe('db-a');
    // The config's first notification does not ask for a second instance.
    expect(runtime.reloading).toBe(false);
    expect(runtime.status().queued).toBe(0);
  });

  it('a committed change of a declared key swaps the service, with the keys as trigger detail', async () => {
    const { config, handle, write } = configured();
    await runtime.reload();
    write('db-b', 8);
    const swapped = nextEvent(
      runtime,
      'reload-end',
      ({ report }) => report.trigger.kind === 'config',
    );
    await config.reload();
    const { report } = await swapped;
    expect(report.trigger).toEqual({ kind: 'config', by: 'config', detail: 'db.host, db.pool' });
    expect(report.requested).toEqual(['db']);
    expect(report.units[0]).toMatchObject({ name: 'db', outcome: 'refreshed' });
    expect(handle.current.use()).toBe('db-b');
    expect(unitStatus('db').details?.config).toEqual({
      unit: 'config',
      keys: ['db.host', 'db.pool'],
      builtOn: config.generation,
    });
  });

  it('a change of other keys leaves the service alone', async () => {
    const { config, handle, write } = configured();
    await runtime.reload();
    write('db-a', 5, 'y');
    const report = await config.reload();
    expect(report.changes.map((c) => c.path)).toEqual(['other']);
    // A request would be running or queued by now: listeners ran before reload() resolved.
    expect(runtime.reloading).toBe(false);
    expect(runtime.status().queued).toBe(0);
    expect(handle.generation).toBe(1);
  });

  it('reloading the config through the runtime swaps the service in the same transaction, built from the next config', async () => {
    const { config, handle, rec, write } = configured();
    await runtime.reload();
    write('db-c');
    const report = await runtime.reload({ units: 'config' });
    expect(report.ok).toBe(true);
    expect(report.units.map((u) => [u.name, u.outcome])).toEqual([
      ['config', 'refreshed'],
      ['db', 'refreshed'],
    ]);
    expect(report.units[1]?.summary).toMatch(/; config: db\.host$/);
    // Built during prepare, reading the config that was about to commit.
    expect(rec.label).toBe('db-c');
    expect(handle.current.use()).toBe('db-c');
    expect(handle.generation).toBe(2);
    expect(unitStatus('db').details?.config).toMatchObject({ builtOn: config.generation });
    // No second transaction follows.
    expect(runtime.reloading).toBe(false);
    expect(runtime.status().queued).toBe(0);
  });

  it('a service that fails on the next config keeps the config from changing: all or nothing', async () => {
    const { config, handle, rec, write } = configured();
    await runtime.reload();
    write('db-unreachable');
    rec.faults.add('start:2');
    const report = await runtime.reload({ units: 'config' });
    expect(report.ok).toBe(false);
    const db = report.units.find((u) => u.name === 'db');
    expect(db).toMatchObject({ outcome: 'failed', phase: 'prepare' });
    expect(db?.error?.message).toContain('connection refused');
    expect(report.units.find((u) => u.name === 'config')?.outcome).not.toBe('refreshed');
    expect(config.generation).toBe(1);
    expect(config.get('db.host')).toBe('db-a');
    expect(handle.current.use()).toBe('db-a');
    // The next good config goes through, service and config together.
    rec.faults.delete('start:2');
    write('db-e');
    const fixed = await runtime.reload({ units: 'config' });
    expect(fixed.ok).toBe(true);
    expect(config.get('db.host')).toBe('db-e');
    expect(handle.current.use()).toBe('db-e');
  });

  it('a config reload that changes nothing does not rebuild its dependent services (rehash)', async () => {
    const { handle } = configured();
    await runtime.reload();
    const report = await runtime.reload({ units: 'config' });
    expect(report.units.map((u) => [u.name, u.outcome])).toEqual([
      ['config', 'unchanged'],
      ['db', 'unchanged'],
    ]);
    expect(runtime.reloading).toBe(false);
    expect(handle.generation).toBe(1);
  });

  it('a full reload with a changed config swaps the service once, in the same transaction', async () => {
    const { handle, write, rec } = configured();
    await runtime.reload();
    write('db-d');
    const full = await runtime.reload();
    expect(full.units.find((u) => u.name === 'db')?.outcome).toBe('refreshed');
    expect(handle.current.use()).toBe('db-d');
    expect(rec.journal.filter((l) => l.startsWith('create'))).toEqual([
      'create 1',
      'create 2 (live 1)',
    ]);
    expect(runtime.reloading).toBe(false);
    expect(runtime.status().queued).toBe(0);
  });

  it('configKeys without a config among dependsOn fail the first reload with a clear message', async () => {
    runtime = createRuntime({ logger: false });
    const rec: Recorder = { journal: [], instances: [], faults: new Set(), label: '' };
    runtime.service('db', { ...recorded(rec), configKeys: ['db.*'] });
    const report = await runtime.reload();
    expect(report.units[0]?.error?.message).toBe(
      'db: configKeys (db.*) need a config: none among dependsOn',
    );
  });
});
