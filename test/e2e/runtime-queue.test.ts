/**
 * One reload at a time: concurrent requests are serialised, requests that wait are merged into
 * one follow-up, and a reload asked for from inside a reload (a unit hook, a command handler)
 * runs as the follow-up instead of deadlocking.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/index.js';
import { counterUnit, gate, guardUnhandled } from './runtime-helpers.js';

guardUnhandled();

let runtime: Runtime;
afterEach(async () => {
  await runtime?.close();
});

describe('reload queue', () => {
  it('serialises two concurrent reloads and merges a third into the second', async () => {
    runtime = createRuntime({ logger: false });
    const journal: string[] = [];
    const a = counterUnit('a', journal);
    runtime.add(a.unit);
    const timeline: string[] = [];
    runtime.on('reload-start', ({ id }) => timeline.push(`start ${id}`));
    runtime.on('reload-end', ({ report }) => timeline.push(`end ${report.id}`));

    const hold = gate();
    a.faults.holdPrepare = hold.promise;
    const first = runtime.reload({ trigger: { kind: 'chat', by: 'alice' } });
    const second = runtime.reload({ trigger: { kind: 'chat', by: 'bob' } });
    const third = runtime.reload({ trigger: { kind: 'signal', by: 'SIGHUP' } });
    expect(runtime.reloading).toBe(true);
    expect(runtime.status()).toMatchObject({ state: 'reloading', queued: 1 });
    a.faults.holdPrepare = undefined;
    hold.resolve();

    const [r1, r2, r3] = await Promise.all([first, second, third]);
    expect(timeline).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
    expect(r1.id).toBe(1);
    expect(r2).toBe(r3);
    expect(r2).toMatchObject({
      id: 2,
      trigger: { kind: 'chat', by: 'bob' },
      coalesced: [{ kind: 'signal', by: 'SIGHUP' }],
    });
    expect(r2.summary).toMatch(/^reload #2 \(chat by bob, \+1 merged\)/);
    expect(journal.filter((l) => l.startsWith('commit'))).toEqual(['commit a', 'commit a']);
    expect(a.live).toBe(2);
  });

  it('merges the units and changed files of waiting requests', async () => {
    runtime = createRuntime({ logger: false });
    const journal: string[] = [];
    const units = ['a', 'b', 'c'].map((n) => counterUnit(n, journal));
    for (const u of units) runtime.add(u.unit);
    await runtime.reload();
    const hold = gate();
    units[0]!.faults.holdPrepare = hold.promise;
    const running = runtime.reload({ units: ['a'] });
    const waitingB = runtime.reload({ units: ['b'], changedFiles: ['/x/b.ts'] });
    const waitingC = runtime.reload({ units: ['c'], changedFiles: ['/x/c.ts'] });
    units[0]!.faults.holdPrepare = undefined;
    hold.resolve();
    await running;
    const merged = await waitingB;
    expect(await waitingC).toBe(merged);
    expect(merged.requested).toEqual(['b', 'c']);
    expect(merged.units.map((u) => u.name)).toEqual(['b', 'c']);
  });

  it('does not deadlock when a reload is requested from inside a reload', async () => {
    runtime = createRuntime({ logger: false });
    const journal: string[] = [];
    const a = counterUnit('a', journal);
    runtime.add(a.unit);
    await runtime.reload();
    let nested: Promise<unknown> | undefined;
    a.faults.onCommit = () => {
      a.faults.onCommit = undefined;
      // A command handler run by this commit asks for another reload.
      nested = runtime.reload({ trigger: { kind: 'chat', by: 'admin', detail: '@reload' } });
    };
    const outer = await runtime.reload();
    expect(outer.ok).toBe(true);
    expect(nested).toBeDefined();
    const follow = (await nested) as Awaited<ReturnType<Runtime['reload']>>;
    expect(follow.id).toBe(outer.id + 1);
    expect(follow.trigger).toEqual({ kind: 'chat', by: 'admin', detail: '@reload' });
    expect(follow.ok).toBe(true);
    expect(a.live).toBe(3);
  });

  it('lets a handler holding a lease await a reload of its own unit', async () => {
    runtime = createRuntime({ logger: false });
    const handle = runtime.register({
      name: 'commands',
      versionSource: ({ generation }) => ({
        generation,
        // The handler asks for a reload and waits for the report, like `@reload` in a chat.
        reload: () => runtime.reload({ trigger: { kind: 'chat', by: 'admin' } }),
      }),
    });
    await runtime.reload();
    const [generation, report] = await handle.withLease(async (table) => [
      table.generation,
      await table.reload(),
    ]);
    expect(generation).toBe(1);
    expect((report as { ok: boolean }).ok).toBe(true);
    expect(handle.current.generation).toBe(2);
  });

  it('queues rollbacks as their own transactions, never merged', async () => {
    runtime = createRuntime({ logger: false });
    runtime.register({ name: 'a', versionSource: ({ generation }) => ({ generation }) });
    await runtime.reload();
    await runtime.reload();
    const [r, b, r2] = await Promise.all([
      runtime.reload(),
      runtime.rollback('a'),
      runtime.reload(),
    ]);
    expect([r.id, b.id, r2.id]).toEqual([3, 4, 5]);
    expect(b.kind).toBe('rollback');
  });
});
