/**
 * Leases and drain: in-flight work finishes on the version it started on while new work uses
 * the new one; an old version is disposed when its last lease ends, or when a drain timeout
 * passes (reported); drain refuses new work and lets in-flight work finish.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createRuntime,
  type DrainResult,
  type Handle,
  isHotswapError,
  type Runtime,
} from '../../src/index.js';
import type { Scope } from '../../src/scope.js';
import { counterUnit, gate, guardUnhandled, nextEvent } from './runtime-helpers.js';

guardUnhandled();

let runtime: Runtime;
afterEach(async () => {
  await runtime?.close();
});

interface Service {
  generation: number;
  scope: Scope;
  handle(request: Promise<string>): Promise<string>;
}

function setup(bus = new EventEmitter()): { service: Handle<Service>; scopes: Scope[] } {
  runtime = createRuntime({ logger: false });
  const scopes: Scope[] = [];
  const service = runtime.register<Service>({
    name: 'service',
    // New work arrives through this listener: only the live version may listen.
    activate: (version, scope) => void scope.on(bus, 'request', () => version.generation),
    versionSource: ({ generation, scope }) => {
      scopes.push(scope);
      return {
        generation,
        scope,
        async handle(request) {
          return `${await request} by generation ${generation}`;
        },
      };
    },
  });
  return { service, scopes };
}

describe('leases', () => {
  it('in-flight work finishes on its old version while new work uses the new one', async () => {
    const bus = new EventEmitter();
    const { service, scopes } = setup(bus);
    await runtime.reload();
    const slow = gate<string>();
    const inFlight = service.withLease((v) => v.handle(slow.promise));
    expect(runtime.status().leases).toEqual({ total: 1, byUnit: { service: 1 } });

    const disposed: number[] = [];
    runtime.on('version-disposed', ({ generation }) => disposed.push(generation));
    const report = await runtime.reload();
    expect(report.units[0]?.outcome).toBe('refreshed');
    // New work: the new version.
    expect(await service.current.handle(Promise.resolve('fast'))).toBe('fast by generation 2');
    // The old version is still alive for the work it is doing, but takes no new work.
    expect(disposed).toEqual([]);
    expect(scopes[0]?.disposed).toBe(false);
    expect(bus.listenerCount('request')).toBe(1);
    expect(service.versions().map((v) => [v.generation, v.state, v.leases])).toEqual([
      [1, 'retiring', 1],
      [2, 'live', 0],
    ]);

    const gone = nextEvent(runtime, 'version-disposed', (e) => e.generation === 1);
    slow.resolve('slow');
    expect(await inFlight).toBe('slow by generation 1');
    expect(await gone).toMatchObject({ unit: 'service', forced: false, errors: [] });
    expect(scopes[0]?.disposed).toBe(true);
    expect(runtime.status().leases.total).toBe(0);
  });

  it('runtime.lease pins a version; release is idempotent and `using`-friendly', async () => {
    const { service } = setup();
    await runtime.reload();
    const lease = runtime.lease<Service>('service');
    expect(lease).toMatchObject({ unit: 'service', generation: 1, released: false });
    await runtime.reload();
    expect(lease.current.generation).toBe(1);
    expect(service.current.generation).toBe(2);
    const gone = nextEvent(runtime, 'version-disposed', (e) => e.generation === 1);
    lease[Symbol.dispose]();
    lease.release();
    expect(lease.released).toBe(true);
    await gone;
    expect(service.leases).toBe(0);
  });

  it('counts leases of units without a handle', async () => {
    runtime = createRuntime({ logger: false });
    runtime.add(counterUnit('plain', []).unit);
    await runtime.reload();
    const lease = runtime.lease('plain');
    expect(lease.current).toBeUndefined();
    expect(runtime.status().leases.byUnit).toEqual({ plain: 1 });
    lease.release();
    expect(runtime.status().leases.total).toBe(0);
  });
});

describe('drain', () => {
  it('refuses new work and lets in-flight work finish', async () => {
    const { service } = setup();
    await runtime.reload();
    const changes: boolean[] = [];
    runtime.on('drain-changed', ({ draining }) => changes.push(draining));

    const slow = gate<string>();
    const inFlight = service.withLease((v) => v.handle(slow.promise));
    let result: DrainResult | undefined;
    const drained = runtime.drain({ timeout: 60_000, reason: 'deploy' }).then((r) => {
      result = r;
      return r;
    });
    expect(runtime.draining).toBe(true);
    expect(changes).toEqual([true]);
    // New work is refused where it enters.
    let refused: unknown;
    try {
      runtime.admit();
    } catch (err) {
      refused = err;
    }
    expect(isHotswapError(refused, 'HS_ERR_DRAINING')).toBe(true);
    expect(runtime.status().draining).toBe(true);
    // In-flight work continues, nested leases included.
    expect(await service.withLease((v) => v.handle(Promise.resolve('nested')))).toBe(
      'nested by generation 1',
    );
    expect(result).toBeUndefined();

    slow.resolve('slow');
    expect(await inFlight).toBe('slow by generation 1');
    expect(await drained).toMatchObject({ drained: true, cancelled: false, stragglers: [] });
    expect(runtime.draining).toBe(true);

    runtime.undrain('deploy aborted');
    expect(runtime.draining).toBe(false);
    expect(changes).toEqual([true, false]);
    expect(() => runtime.admit()).not.toThrow();
  });

  it('at the timeout, disposes the old versions still leased and reports every straggler', async () => {
    const { service, scopes } = setup();
    await runtime.reload();
    const stuckOld = runtime.lease<Service>('service');
    await runtime.reload();
    const stuckLive = service.lease();
    const timeouts: unknown[] = [];
    runtime.on('lease-timeout', (t) => timeouts.push(t));

    const result = await runtime.drain({ timeout: 10 });
    expect(result.drained).toBe(false);
    expect(
      result.stragglers.map((s) => [s.unit, s.generation, s.leases, s.live, s.disposed]),
    ).toEqual([
      ['service', 1, 1, false, true],
      ['service', 2, 1, true, false],
    ]);
    const old = result.stragglers[0];
    expect(old?.error.code).toBe('HS_ERR_LEASE_TIMEOUT');
    expect(old?.error.message).toBe(
      'service: 1 lease(s) on generation 1 still in flight after the 10 ms drain timeout; that version was disposed',
    );
    expect(timeouts).toHaveLength(2);
    // The replaced version is gone; the live one is never disposed by a drain.
    expect(scopes[0]?.disposed).toBe(true);
    expect(scopes[1]?.disposed).toBe(false);
    expect(stuckOld.released).toBe(true);
    stuckOld.release();
    expect(runtime.status().lastError).toMatchObject({
      source: 'drain',
      unit: 'service',
      error: { code: 'HS_ERR_LEASE_TIMEOUT' },
    });
    expect(runtime.status().leases.total).toBe(1);
    stuckLive.release();
    expect(runtime.status().leases.total).toBe(0);
  });

  it('undrain ends a pending drain as cancelled, disposing nothing', async () => {
    const { scopes } = setup();
    await runtime.reload();
    const lease = runtime.lease('service');
    await runtime.reload();
    const pending = runtime.drain({ timeout: 60_000 });
    runtime.undrain();
    expect(await pending).toMatchObject({ drained: false, cancelled: true, stragglers: [] });
    expect(scopes[0]?.disposed).toBe(false);
    lease.release();
  });
});
