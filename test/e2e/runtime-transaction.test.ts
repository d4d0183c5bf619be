/**
 * The reload transaction on real custom units: ordering, failures at each phase leaving every
 * unit on its last good version, parts carried into the report, report text and JSON, history,
 * events, status and its error state.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createRuntime,
  isHotswapError,
  orderUnits,
  type Runtime,
  type RuntimeEventName,
  runtimeChannelName,
  runtimeEventNames,
} from '../../src/index.js';
import { counterUnit, guardUnhandled } from './runtime-helpers.js';

guardUnhandled();

const thisFile = new URL(import.meta.url).pathname;
let runtime: Runtime;

afterEach(async () => {
  await runtime?.close();
});

function setup(names: Array<[string, string[]?]>) {
  const journal: string[] = [];
  runtime = createRuntime({ logger: false });
  const units = Object.fromEntries(
    names.map(([name, dependsOn]) => {
      const u = counterUnit(name, journal, { dependsOn });
      runtime.add(u.unit);
      return [name, u];
    }),
  );
  return { journal, units };
}

describe('ordering', () => {
  it('prepares and commits dependencies first, whatever the registration order', async () => {
    const { journal } = setup([['app', ['db']], ['db', ['config']], ['config']]);
    const report = await runtime.reload();
    expect(report.units.map((u) => u.name)).toEqual(['config', 'db', 'app']);
    expect(journal.filter((l) => l.startsWith('commit'))).toEqual([
      'commit config',
      'commit db',
      'commit app',
    ]);
    expect(report.units.map((u) => u.outcome)).toEqual(['added', 'added', 'added']);
  });

  it('names a cycle, starting at its earliest-registered unit', () => {
    const { units } = setup([
      ['a', ['b']],
      ['b', ['c']],
    ]);
    expect(units.a).toBeDefined();
    const closing = counterUnit('c', [], { dependsOn: ['a'] });
    let caught: unknown;
    try {
      runtime.add(closing.unit);
    } catch (err) {
      caught = err;
    }
    expect(isHotswapError(caught, 'HS_ERR_UNIT_CYCLE')).toBe(true);
    expect((caught as Error).message).toContain('a → b → c → a');
    // The unit that would close the cycle is refused; the others stay.
    expect(runtime.has('c')).toBe(false);
    expect(runtime.has('a')).toBe(true);
    // orderUnits reports the same cycle for any unit set.
    expect(() =>
      orderUnits([
        { name: 'x', dependsOn: ['y'] },
        { name: 'y', dependsOn: ['x'] },
      ]),
    ).toThrow('x → y → x');
  });

  it('types unknown and duplicate names, with the nearest names as a hint', async () => {
    setup([['config'], ['commands']]);
    expect(() => runtime.add(counterUnit('config', []).unit)).toThrow(
      expect.objectContaining({ code: 'HS_ERR_UNIT_DUPLICATE' }),
    );
    await expect(runtime.reload({ units: ['confg'] })).rejects.toMatchObject({
      code: 'HS_ERR_UNIT_UNKNOWN',
      hint: 'did you mean config?',
    });
    await expect(runtime.remove('nope')).rejects.toMatchObject({ code: 'HS_ERR_UNIT_UNKNOWN' });
    expect(() => runtime.lease('nope')).toThrow(
      expect.objectContaining({ code: 'HS_ERR_UNIT_UNKNOWN' }),
    );
  });

  it('reloads named units with their dependents, or alone when asked', async () => {
    const { units } = setup([['config'], ['service', ['config']], ['other']]);
    await runtime.reload();
    const withDependents = await runtime.reload({ units: 'config' });
    expect(withDependents.units.map((u) => u.name)).toEqual(['config', 'service']);
    expect(withDependents.requested).toEqual(['config']);
    const alone = await runtime.reload({ units: ['config'], dependents: false });
    expect(alone.units.map((u) => u.name)).toEqual(['config']);
    expect(units.config?.live).toBe(3);
    expect(units.service?.live).toBe(2);
    expect(units.other?.live).toBe(1);
  });

  it('refuses to remove a unit others depend on, and removes a free one', async () => {
    setup([['config'], ['service', ['config']]]);
    await expect(runtime.remove('config')).rejects.toMatchObject({
      code: 'HS_ERR_UNIT_IN_USE',
      message: expect.stringContaining('service depends on it'),
    });
    await runtime.remove('service');
    await runtime.remove('config');
    expect(runtime.units()).toEqual([]);
  });
});

describe('failures leave every unit on its last good version', () => {
  it('a failing prepare changes nothing and reports the file:line of the cause', async () => {
    const { journal, units } = setup([['a'], ['b', ['a']], ['c']]);
    await runtime.reload();
    journal.length = 0;
    units.c!.faults.prepare = () => new Error('cannot parse c');
    const report = await runtime.reload();
    expect(report.ok).toBe(false);
    expect(report.committed).toBe(false);
    expect([units.a?.live, units.b?.live, units.c?.live]).toEqual([1, 1, 1]);
    expect(journal).not.toContain('commit a');
    // Every unit was prepared (so one report shows every broken unit), then dropped.
    expect(journal).toEqual(['prepare a', 'prepare b', 'prepare c', 'discard b', 'discard a']);
    const c = report.units.find((u) => u.name === 'c');
    expect(c).toMatchObject({ outcome: 'failed', phase: 'prepare' });
    expect(c?.error?.code).toBe('HS_ERR_UNIT_PREPARE');
    expect(c?.error?.location?.file).toBe(thisFile);
    expect(c?.error?.location?.line).toBeGreaterThan(0);
    expect(report.units.find((u) => u.name === 'a')).toMatchObject({
      outcome: 'unchanged',
      planned: 'refreshed',
      discarded: true,
    });
  });

  it('skips the dependents of a unit whose prepare failed', async () => {
    const { journal, units } = setup([['a'], ['b', ['a']]]);
    units.a!.faults.prepare = () => new Error('broken');
    const report = await runtime.reload();
    expect(journal).toEqual(['prepare a']);
    expect(report.units.find((u) => u.name === 'b')?.skipped).toBe('dependency a failed');
  });

  it('a failing commit rolls back the units already committed, in reverse order', async () => {
    const { journal, units } = setup([['a'], ['b', ['a']], ['c', ['b']], ['d', ['c']]]);
    await runtime.reload();
    journal.length = 0;
    units.c!.faults.commit = () => new Error('commit of c blew up');
    const report = await runtime.reload();
    expect(journal).toEqual([
      'prepare a',
      'prepare b',
      'prepare c',
      'prepare d',
      'commit a',
      'commit b',
      'commit c',
      'discard c',
      'rollback b',
      'rollback a',
      'discard d',
    ]);
    expect([units.a?.live, units.b?.live, units.c?.live, units.d?.live]).toEqual([1, 1, 1, 1]);
    expect(report.rolledBack).toBe(true);
    expect(report.committed).toBe(false);
    expect(report.units.map((u) => [u.name, u.outcome, u.rolledBack])).toEqual([
      ['a', 'unchanged', true],
      ['b', 'unchanged', true],
      ['c', 'failed', false],
      ['d', 'unchanged', false],
    ]);
    expect(report.error?.code).toBe('HS_ERR_UNIT_COMMIT');
    expect(report.summary.split('\n')[0]).toBe(
      'reload #2 (api) failed, rolled back a, b: nothing changed',
    );
  });

  it('a failing verify rolls every committed unit back', async () => {
    const { journal, units } = setup([['a'], ['b', ['a']]]);
    await runtime.reload();
    journal.length = 0;
    units.b!.faults.verify = () => new Error('health check failed');
    const report = await runtime.reload();
    expect(journal).toEqual([
      'prepare a',
      'prepare b',
      'commit a',
      'commit b',
      'verify a',
      'verify b',
      'rollback b',
      'rollback a',
    ]);
    expect([units.a?.live, units.b?.live]).toEqual([1, 1]);
    expect(report.units.find((u) => u.name === 'b')).toMatchObject({
      outcome: 'failed',
      phase: 'verify',
      error: { code: 'HS_ERR_UNIT_VERIFY' },
    });
    expect(report.units.find((u) => u.name === 'a')?.generation).toEqual({ from: 1, to: 1 });
  });

  it('a rollback that throws is reported as HS_ERR_UNIT_UNDO (restart advised)', async () => {
    const { units } = setup([['a'], ['b', ['a']]]);
    await runtime.reload();
    units.a!.faults.rollback = () => new Error('cannot undo');
    units.b!.faults.commit = () => new Error('nope');
    const report = await runtime.reload();
    const a = report.units.find((u) => u.name === 'a');
    expect(a).toMatchObject({
      outcome: 'failed',
      phase: 'rollback',
      error: { code: 'HS_ERR_UNIT_UNDO' },
    });
    expect(a?.error?.hint).toBe('restart the process');
  });
});

describe('parts', () => {
  it('carries per-part results into the report; a failed part is one bullet', async () => {
    const { units } = setup([['commands']]);
    await runtime.reload();
    units.commands!.faults.parts = [
      { name: 'help', outcome: 'refreshed' },
      { name: 'quote', outcome: 'added' },
      {
        name: 'joke',
        outcome: 'failed',
        file: '/app/commands/joke.ts',
        error: {
          name: 'HotswapError',
          code: 'HS_ERR_LOADER_SYNTAX',
          message: 'Unexpected token\n  at line 3',
          location: { file: '/app/commands/joke.ts', line: 3, column: 5 },
        },
      },
    ];
    const report = await runtime.reload();
    // The unit itself went through: only the part failed (and keeps its last good version).
    expect(report.committed).toBe(true);
    expect(report.ok).toBe(false);
    expect(report.units[0]?.outcome).toBe('refreshed');
    expect(report.units[0]?.parts?.map((p) => [p.name, p.outcome])).toEqual([
      ['help', 'refreshed'],
      ['quote', 'added'],
      ['joke', 'failed'],
    ]);
    const [headline, ...bullets] = report.summary.split('\n');
    expect(headline).toMatch(/^reload #2 \(api\): 1 refreshed in /);
    expect(bullets).toEqual([
      '- commands/joke: HS_ERR_LOADER_SYNTAX Unexpected token at line 3 (/app/commands/joke.ts:3)',
    ]);
    expect(runtime.status().lastError?.error.code).toBe('HS_ERR_LOADER_SYNTAX');
  });
});

describe('reports', () => {
  it('one line when nothing failed; one flattened bullet per failure; plain JSON', async () => {
    const { units } = setup([['a'], ['b'], ['c']]);
    const first = await runtime.reload({ trigger: { kind: 'chat', by: 'alice' } });
    expect(first.summary).not.toContain('\n');
    expect(first.summary).toMatch(/^reload #1 \(chat by alice\): 3 added in \d/);
    expect(first).toMatchObject({
      id: 1,
      kind: 'reload',
      trigger: { kind: 'chat', by: 'alice' },
      ok: true,
      committed: true,
      rolledBack: false,
      requested: 'all',
      counts: { added: 3, refreshed: 0, failed: 0 },
    });
    expect(typeof first.startedAt).toBe('string');
    expect(first.durationMs).toBeGreaterThanOrEqual(0);
    expect(Object.keys(first.phases)).toEqual(
      expect.arrayContaining(['prepare', 'pause', 'commit', 'resume', 'verify', 'finalize']),
    );
    expect(Object.keys(first.units[0]?.timings ?? {})).toEqual(
      expect.arrayContaining(['prepare', 'commit', 'finalize']),
    );

    units.a!.faults.prepare = () => new Error('line one\n  line two\n\nline three');
    units.b!.faults.prepare = () => new Error('b is broken too');
    const failed = await runtime.reload();
    const lines = failed.summary.split('\n');
    expect(lines[0]).toBe('reload #2 (api) failed: nothing changed');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(
      /^- a: HS_ERR_UNIT_PREPARE prepare failed: line one line two line three \(.*runtime-transaction\.test\.ts:\d+\)$/,
    );
    expect(lines[2]).toMatch(/^- b: HS_ERR_UNIT_PREPARE prepare failed: b is broken too \(/);
    // Plain data: JSON as is, and back.
    expect(JSON.parse(JSON.stringify(failed))).toEqual(failed);
  });

  it('logs the same report through pino', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    runtime = createRuntime({ name: 'logged', logger: pino({ level: 'info' }, sink) });
    runtime.add(counterUnit('a', []).unit);
    const report = await runtime.reload();
    const logged = lines.find((l) => (l.report as { id?: number } | undefined)?.id === report.id);
    expect(logged).toMatchObject({ msg: report.summary, runtime: 'logged', level: 30 });
    expect(logged?.report).toEqual(JSON.parse(JSON.stringify(report)));
  });

  it('keeps a bounded history', async () => {
    runtime = createRuntime({ logger: false, history: 3 });
    runtime.add(counterUnit('a', []).unit);
    for (let i = 0; i < 5; i++) await runtime.reload();
    expect(runtime.history().map((r) => r.id)).toEqual([3, 4, 5]);
    expect(runtime.status().reloads).toBe(5);
  });
});

describe('events', () => {
  it('are typed, ordered, and published on diagnostics_channel', async () => {
    const { units } = setup([['a'], ['b', ['a']]]);
    const seen: string[] = [];
    for (const name of runtimeEventNames) {
      runtime.on(name, (payload) => {
        const p = payload as { unit?: string; id?: number; phase?: string };
        seen.push([name, p.unit ?? p.id ?? '', p.phase ?? ''].join(' ').trim());
      });
    }
    const channelSeen: unknown[] = [];
    const onChannel = (message: unknown): void => {
      channelSeen.push(message);
    };
    subscribe(runtimeChannelName('reload-end'), onChannel);
    try {
      // Typed payloads: these lines would not compile with a wrong field.
      runtime.on('reload-end', ({ report }) => void report.summary.length);
      runtime.on('unit-failed', ({ unit, phase, error }) => void [unit, phase, error.code]);
      await runtime.reload();
      units.b!.faults.commit = () => new Error('x');
      await runtime.reload();
    } finally {
      unsubscribe(runtimeChannelName('reload-end'), onChannel);
    }
    expect(seen).toEqual([
      'reload-start 1',
      'reload-end',
      'reload-start 2',
      'unit-failed b commit',
      'reload-end',
    ]);
    expect(channelSeen).toHaveLength(2);
    expect(channelSeen[0]).toMatchObject({ runtime: 'hotswap', event: 'reload-end' });
  });

  it('a listener that throws is logged and never breaks a reload', async () => {
    setup([['a']]);
    runtime.on('reload-start', () => {
      throw new Error('listener bug');
    });
    const order: RuntimeEventName[] = [];
    runtime.on('reload-end', () => order.push('reload-end'));
    const report = await runtime.reload();
    expect(report.ok).toBe(true);
    expect(order).toEqual(['reload-end']);
  });
});

describe('status', () => {
  it('shows generations, last outcomes, and an error state cleared by the next good reload', async () => {
    const { units } = setup([['a'], ['b']]);
    await runtime.reload();
    let status = runtime.status();
    expect(status.state).toBe('idle');
    expect(status.units.map((u) => [u.name, u.generation, u.lastOutcome])).toEqual([
      ['a', 1, 'added'],
      ['b', 1, 'added'],
    ]);
    expect(status.lastError).toBeUndefined();

    units.b!.faults.prepare = () => new Error('b broke');
    await runtime.reload();
    status = runtime.status();
    expect(status.lastError).toMatchObject({
      source: 'reload',
      reloadId: 2,
      unit: 'b',
      error: { code: 'HS_ERR_UNIT_PREPARE' },
    });
    expect(status.units.find((u) => u.name === 'b')).toMatchObject({
      lastOutcome: 'failed',
      lastError: { code: 'HS_ERR_UNIT_PREPARE' },
      generation: 1,
    });
    expect(status.lastReport).toMatchObject({ id: 2, ok: false, committed: false });

    units.b!.faults.prepare = undefined;
    await runtime.reload();
    status = runtime.status();
    expect(status.lastError).toBeUndefined();
    expect(status.units.find((u) => u.name === 'b')?.lastError).toBeUndefined();
    expect(status.units.map((u) => u.generation)).toEqual([2, 2]);
  });

  it('closes every unit in reverse order of registration, after the running reload', async () => {
    runtime = createRuntime({ logger: false });
    const closed: string[] = [];
    for (const name of ['first', 'second', 'third']) {
      runtime.add({
        ...counterUnit(name, []).unit,
        async close() {
          closed.push(name);
          if (name === 'second') throw new Error('second would not close');
        },
      });
    }
    const reloading = runtime.reload();
    const result = await runtime.close();
    expect((await reloading).ok).toBe(true);
    expect(closed).toEqual(['third', 'second', 'first']);
    expect(result.errors.map((e) => e.message)).toEqual(['second would not close']);
    expect(runtime.units()).toEqual([]);
  });

  it('rejects requests once closed', async () => {
    setup([['a']]);
    const closing = runtime.close();
    await expect(runtime.reload()).rejects.toMatchObject({ code: 'HS_ERR_RUNTIME_CLOSED' });
    expect(() => runtime.add(counterUnit('z', []).unit)).toThrow(
      expect.objectContaining({ code: 'HS_ERR_RUNTIME_CLOSED' }),
    );
    expect(await closing).toEqual({ errors: [] });
    expect(runtime.status().state).toBe('closed');
  });
});
