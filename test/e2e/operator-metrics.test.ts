/**
 * Prometheus metrics, parsed from the text exposition a scraper reads: reloads by kind, trigger
 * and outcome (ok, failed, rolled_back), the duration histogram, unit generations, failed units,
 * leases in flight, draining, worker restarts and the error state; served by the dashboard at
 * /metrics with its token (or public when asked), on a registry of their own.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register as globalRegistry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createConfig, createRuntime, createWorker, type Runtime } from '../../src/index.js';
import { createOperatorMetrics, serveDashboard } from '../../src/operator.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format: samples, and the TYPE of each metric family. */
function parseExposition(text: string): { samples: Sample[]; types: Record<string, string> } {
  const samples: Sample[] = [];
  const types: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types[type[1] as string] = type[2] as string;
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] as string] = pair[2] as string;
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return { samples, types };
}

function value(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )?.value;
}

/** A runtime with a config (breakable on disk), a module-like unit (whose verify can fail) and a worker. */
async function setup(): Promise<{ runtime: Runtime; dir: string; verify: { fail: boolean } }> {
  const dir = mkdtempSync(join(tmpdir(), 'hs-metrics-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'config.yaml'), 'greeting: hi\n');
  const runtime = createRuntime({ name: 'metered', logger: false });
  cleanups.push(() => runtime.close());
  runtime.add(createConfig({ files: ['config.yaml'], cwd: dir, env: false }));
  const verify = { fail: false };
  let version = 0;
  runtime.register({
    name: 'greeter',
    versionSource: () => ({ version: ++version }),
    verify: () => {
      if (verify.fail) throw new Error('verify says no');
    },
  });
  return { runtime, dir, verify };
}

describe('createOperatorMetrics', () => {
  it('counts reloads by trigger and outcome, times them, and reads units, leases, drain and errors', async () => {
    const { runtime, dir, verify } = await setup();
    await runtime.reload({ trigger: { kind: 'startup' } });
    const metrics = createOperatorMetrics(runtime);
    cleanups.push(() => metrics.close());

    await runtime.reload({ trigger: { kind: 'control', by: 'ops' } }); // ok
    writeFileSync(join(dir, 'config.yaml'), 'greeting: [\n');
    await runtime.reload({ trigger: { kind: 'signal', by: 'SIGHUP' } }); // failed
    writeFileSync(join(dir, 'config.yaml'), 'greeting: hello\n');
    verify.fail = true;
    await runtime.reload({ units: 'greeter', trigger: { kind: 'dashboard' } }); // rolled back
    const lease = runtime.lease('greeter');

    const text = await metrics.metrics();
    const { samples, types } = parseExposition(text);
    const r = (trigger: string, outcome: string) =>
      value(samples, 'hotswap_reloads_total', { kind: 'reload', trigger, outcome });
    expect(r('startup', 'ok')).toBe(1); // from the history: counted though it came first
    expect(r('control', 'ok')).toBe(1);
    expect(r('signal', 'failed')).toBe(1);
    expect(r('dashboard', 'rolled_back')).toBe(1);
    expect(samples.filter((s) => s.name === 'hotswap_reloads_total')).toHaveLength(4);
    expect(value(samples, 'hotswap_reload_duration_seconds_count', { kind: 'reload' })).toBe(4);
    expect(
      value(samples, 'hotswap_reload_duration_seconds_bucket', { kind: 'reload', le: '+Inf' }),
    ).toBe(4);
    expect(
      value(samples, 'hotswap_reload_duration_seconds_sum', { kind: 'reload' }),
    ).toBeGreaterThan(0);

    expect(value(samples, 'hotswap_unit_generation', { unit: 'config', kind: 'config' })).toBe(1);
    expect(value(samples, 'hotswap_unit_generation', { unit: 'greeter', kind: 'module' })).toBe(2);
    expect(value(samples, 'hotswap_unit_failed', { unit: 'greeter' })).toBe(1);
    // config's last reload (the SIGHUP one) failed too: the greeter-only reload left it out.
    expect(value(samples, 'hotswap_unit_failed', { unit: 'config' })).toBe(1);
    expect(value(samples, 'hotswap_units_failed')).toBe(2);
    expect(value(samples, 'hotswap_leases_in_flight', { unit: 'greeter' })).toBe(1);
    expect(value(samples, 'hotswap_leases_in_flight', { unit: 'config' })).toBe(0);
    expect(value(samples, 'hotswap_draining')).toBe(0);
    expect(value(samples, 'hotswap_error_state')).toBe(1);
    expect(samples.every((s) => s.labels.runtime === 'metered')).toBe(true);
    expect(types).toMatchObject({
      hotswap_reloads_total: 'counter',
      hotswap_reload_duration_seconds: 'histogram',
      hotswap_unit_generation: 'gauge',
      hotswap_unit_failed: 'gauge',
      hotswap_units_failed: 'gauge',
      hotswap_leases_in_flight: 'gauge',
      hotswap_draining: 'gauge',
      hotswap_worker_restarts_total: 'counter',
      hotswap_error_state: 'gauge',
    });

    // Gauges follow the runtime at each scrape: a successful reload clears failures and errors.
    lease.release();
    verify.fail = false;
    void runtime.drain({ timeout: 60_000 });
    await runtime.reload({ trigger: { kind: 'control' } });
    const after = parseExposition(await metrics.metrics()).samples;
    expect(value(after, 'hotswap_draining')).toBe(1);
    expect(value(after, 'hotswap_units_failed')).toBe(0);
    expect(value(after, 'hotswap_error_state')).toBe(0);
    expect(value(after, 'hotswap_leases_in_flight', { unit: 'greeter' })).toBe(0);
    expect(value(after, 'hotswap_reloads_total', { trigger: 'control', outcome: 'ok' })).toBe(2);
    runtime.undrain();

    // Its own registry: nothing leaks into prom-client's global one.
    expect(await globalRegistry.metrics()).not.toContain('hotswap_');
  });

  it('counts worker restarts', async () => {
    const runtime = createRuntime({ name: 'workers', logger: false });
    cleanups.push(() => runtime.close());
    let ticks = 0;
    runtime.add(
      createWorker({
        name: 'flaky',
        every: 1,
        immediate: true,
        restart: { initialDelay: 1 },
        tick: () => {
          ticks++;
          if (ticks <= 2) throw new Error(`tick ${ticks} failed`);
        },
      }),
    );
    const metrics = createOperatorMetrics(runtime);
    cleanups.push(() => metrics.close());
    const restarted = new Promise<void>((resolve) => {
      let n = 0;
      runtime.on('worker-restarted', () => {
        if (++n === 2) resolve();
      });
    });
    await runtime.reload();
    await restarted;
    const { samples } = parseExposition(await metrics.metrics());
    expect(value(samples, 'hotswap_worker_restarts_total', { unit: 'flaky' })).toBe(2);
  });
});

describe('/metrics on the dashboard server', () => {
  it('needs the token (bearer or query) unless public', async () => {
    const { runtime } = await setup();
    await runtime.reload();
    await runtime.reload();
    const dashboard = await serveDashboard(runtime, { announce: false });
    cleanups.push(() => dashboard.close());
    const url = `http://127.0.0.1:${dashboard.port}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const res = await fetch(url, { headers: { authorization: `Bearer ${dashboard.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const { samples } = parseExposition(await res.text());
    expect(value(samples, 'hotswap_reloads_total', { trigger: 'api', outcome: 'ok' })).toBe(2);
    expect((await fetch(`${url}?token=${encodeURIComponent(dashboard.token)}`)).status).toBe(200);

    const open = await serveDashboard(runtime, { announce: false, metrics: { public: true } });
    cleanups.push(() => open.close());
    expect((await fetch(`http://127.0.0.1:${open.port}/metrics`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${open.port}/`)).status).toBe(401); // the page is not

    const none = await serveDashboard(runtime, { announce: false, metrics: false });
    cleanups.push(() => none.close());
    const off = await fetch(`http://127.0.0.1:${none.port}/metrics?token=${none.token}`);
    expect(off.status).toBe(404);
  });
});
