import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isHotswapError } from '../../errors.js';
import type { PrepareContext } from '../unit.js';
import { createConfig } from './config-unit.js';
import type { KeyChange } from './diff.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hs-config-tx-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});
const write = (text: string) => writeFileSync(join(dir, 'config.yaml'), text);

const schema = z.object({
  llm: z.object({ model: z.string(), temperature: z.number() }),
  port: z.number(),
});
const yaml = (model: string, temperature = 0.5, port = 80) =>
  `llm:\n  model: ${model}\n  temperature: ${temperature}\nport: ${port}\n`;

function ctx(overrides: Partial<PrepareContext> = {}): PrepareContext {
  return {
    reloadId: 1,
    trigger: { kind: 'watcher', detail: 'config.yaml' },
    changedFiles: new Set([join(dir, 'config.yaml')]),
    signal: new AbortController().signal,
    log: pino({ level: 'silent' }),
    ...overrides,
  };
}

async function loaded() {
  write(yaml('v0'));
  const config = createConfig({ files: ['config.yaml'], cwd: dir, env: false, schema });
  await config.load();
  return config;
}

const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('config as a unit in a transaction', () => {
  it('shows what it prepared to preview() readers only, for that reload only, until commit', async () => {
    const config = await loaded();
    expect(config.staged(7)).toBeUndefined();
    write(yaml('v1'));
    const change = await config.prepare(ctx({ reloadId: 7 }));
    expect(config.staged(7)).toEqual({
      generation: 2,
      changes: [{ path: 'llm.model', keys: ['llm', 'model'] }],
    });
    expect(config.staged(8)).toBeUndefined();
    expect(config.get('llm.model')).toBe('v0');
    // Async work started inside preview keeps the view until the change commits.
    let read!: () => string;
    // A callback scheduled inside the preview (as a socket's would be) runs in its context.
    let callLater!: () => void;
    const fired = new Promise<void>((resolve) => {
      callLater = resolve;
    });
    let later!: () => Promise<string>;
    const seen = await config.preview(async () => {
      await turns(1);
      read = () => String(config.get('llm.model'));
      const inContext = fired.then(() => String(config.get('llm.model')));
      later = () => {
        callLater();
        return inContext;
      };
      return [config.get('llm.model'), config.current.llm.model];
    });
    expect(seen).toEqual(['v1', 'v1']);
    expect(config.get('llm.model')).toBe('v0');
    await change?.commit();
    expect(config.staged(7)).toBeUndefined();
    expect(config.get('llm.model')).toBe('v1');
    await change?.finalize?.();
    // A discarded change leaves nothing staged behind: previews read the live version.
    write(yaml('v2'));
    const dropped = await config.prepare(ctx({ reloadId: 9 }));
    expect(config.preview(read)).toBe('v2');
    // Work that began in the earlier preview never sees a later reload's staged values.
    expect(read()).toBe('v1');
    expect(await later()).toBe('v1');
    await dropped?.discard();
    expect(config.staged(9)).toBeUndefined();
    expect(config.preview(read)).toBe('v1');
  });

  it('prepare touches no live state; commit is the moment it changes', async () => {
    const config = await loaded();
    const before = config.current;
    write(yaml('v1'));
    const change = await config.prepare(ctx());
    expect(change).toBeDefined();
    expect(change?.outcome).toBe('refreshed');
    expect(change?.summary).toBe('llm.model');
    expect(config.current).toBe(before);
    expect(config.generation).toBe(1);
    expect(config.snapshots()).toHaveLength(1);
    await change?.commit();
    expect(config.current.llm.model).toBe('v1');
    expect(config.generation).toBe(2);
    await change?.finalize?.();
  });

  it('resolves undefined when nothing changed', async () => {
    const config = await loaded();
    expect(await config.prepare(ctx())).toBeUndefined();
    // and the lock is free again
    write(yaml('v1'));
    await config.reload();
    expect(config.current.llm.model).toBe('v1');
  });

  it('rollback after commit restores the version, the snapshots and fires nothing', async () => {
    const config = await loaded();
    const before = config.current;
    const seen: string[] = [];
    config.on('llm.*', (e) => {
      seen.push(e.changes.map((c) => c.path).join());
    });
    write(yaml('v1'));
    const change = await config.prepare(ctx());
    await change?.commit();
    await change?.rollback();
    expect(config.current).toBe(before);
    expect(config.generation).toBe(1);
    expect(config.snapshots().map((s) => s.id)).toEqual([1]);
    expect(seen).toEqual([]);
    // The next reload commits normally and gets the next snapshot id.
    const report = await config.reload();
    expect(report.generation).toBe(2);
    expect(seen).toEqual(['llm.model']);
  });

  it('discard leaves everything as it was and frees the config', async () => {
    const config = await loaded();
    write(yaml('v1'));
    const change = await config.prepare(ctx());
    await change?.discard();
    expect(config.current.llm.model).toBe('v0');
    expect((await config.reload()).generation).toBe(2);
  });

  it('a standalone reload waits for a prepared change to finish', async () => {
    const config = await loaded();
    write(yaml('v1'));
    const change = await config.prepare(ctx());
    let done = false;
    const standalone = config.reload().then((r) => {
      done = true;
      return r;
    });
    await turns();
    expect(done).toBe(false);
    await change?.commit();
    write(yaml('v2'));
    await change?.finalize?.();
    const report = await standalone;
    expect(report.generation).toBe(3);
    expect(config.current.llm.model).toBe('v2');
  });

  it('serialises concurrent reloads', async () => {
    const config = await loaded();
    write(yaml('v1'));
    const reports = await Promise.all([
      config.reload(),
      config.reload(),
      config.setOverride('port', '81'),
    ]);
    expect(reports.map((r) => r.outcome)).toEqual(['refreshed', 'unchanged', 'refreshed']);
    expect(config.generation).toBe(3);
  });

  it('prepareRollback goes through the same transaction', async () => {
    const config = await loaded();
    write(yaml('v1'));
    await config.reload();
    const change = await config.prepareRollback(1, ctx({ trigger: { kind: 'rollback' } }));
    expect(config.current.llm.model).toBe('v1');
    await change.commit();
    await change.finalize?.();
    expect(config.current.llm.model).toBe('v0');
    await expect(config.prepareRollback(5, ctx())).rejects.toMatchObject({
      code: 'HS_ERR_UNIT_ROLLBACK',
    });
  });

  it('stops before commit when the reload is aborted', async () => {
    const config = await loaded();
    write(yaml('v1'));
    const ac = new AbortController();
    ac.abort(new Error('another unit failed'));
    const err = await config.prepare(ctx({ signal: ac.signal })).catch((e: unknown) => e);
    expect(isHotswapError(err, 'HS_ERR_RELOAD_ABORTED')).toBe(true);
    expect(config.current.llm.model).toBe('v0');
  });

  it('reports its state', async () => {
    const config = createConfig({
      name: 'settings',
      files: ['config.yaml'],
      cwd: dir,
      env: false,
      schema,
    });
    expect(config.status()).toMatchObject({
      name: 'settings',
      kind: 'config',
      generation: 0,
      state: 'unloaded',
    });
    write(yaml('v0'));
    await config.load();
    expect(config.status()).toMatchObject({
      generation: 1,
      state: 'active',
      lastOutcome: 'added',
      details: {
        files: ['config.yaml'],
        snapshots: 1,
        snapshot: 1,
        overrides: {},
        restartRequired: [],
      },
    });
  });
});

describe('config subscriptions', () => {
  it('fire after commit, in order, once per reload, with old and new values', async () => {
    const config = await loaded();
    const log: string[] = [];
    config.on('llm.*', (e) => {
      // After commit: the live value is already the new one.
      log.push(
        `llm gen${e.generation} live=${config.current.llm.model} prev=${e.previous?.llm.model}`,
      );
      for (const c of e.changes)
        log.push(`  ${c.path}: ${String(c.oldValue)} -> ${String(c.newValue)}`);
    });
    config.on('port', (e) => {
      log.push(
        `port ${e.changes.map((c: KeyChange) => `${String(c.oldValue)}->${String(c.newValue)}`).join()}`,
      );
    });
    write(yaml('v1', 0.7, 80));
    await config.reload();
    write(yaml('v1', 0.7, 81));
    await config.reload();
    expect(log).toEqual([
      'llm gen2 live=v1 prev=v0',
      '  llm.model: v0 -> v1',
      '  llm.temperature: 0.5 -> 0.7',
      'port 80->81',
    ]);
  });

  it('fire on the first load too, with every key added', async () => {
    write(yaml('v0'));
    const config = createConfig({ files: ['config.yaml'], cwd: dir, env: false, schema });
    const paths: string[] = [];
    config.on('**', (e) => {
      paths.push(...e.changes.map((c) => `${c.kind} ${c.path}`));
    });
    await config.load();
    expect(paths).toEqual(['added llm.model', 'added llm.temperature', 'added port']);
  });

  it('do not fire for failed or validate-only reloads', async () => {
    const config = await loaded();
    let fired = 0;
    config.on('**', () => {
      fired++;
    });
    write(yaml('v1', 0.5, 'x' as unknown as number));
    await expect(config.reload()).rejects.toMatchObject({ code: 'HS_ERR_CONFIG_INVALID' });
    write(yaml('v1'));
    await config.reload({ validateOnly: true });
    expect(fired).toBe(0);
  });

  it('a listener that throws is reported, the change stays, later listeners still run', async () => {
    const lines: string[] = [];
    write(yaml('v0'));
    const config = createConfig({
      files: ['config.yaml'],
      cwd: dir,
      env: false,
      schema,
      log: pino({ level: 'debug' }, { write: (l: string) => lines.push(l) }),
    });
    await config.load();
    let after = 0;
    config.on('llm.model', () => {
      throw new Error('rebuild failed');
    });
    config.on('llm.model', () => {
      after++;
    });
    write(yaml('v1'));
    const report = await config.reload();
    expect(config.current.llm.model).toBe('v1');
    expect(after).toBe(1);
    expect(report.listenerErrors.map((e) => e.message)).toEqual(['rebuild failed']);
    expect(lines.some((l) => l.includes('configuration listener failed'))).toBe(true);
  });

  it('a listener may reload: it does not deadlock, and its notification comes after', async () => {
    const config = await loaded();
    const events: string[] = [];
    config.on('llm.model', async (e) => {
      events.push(`model ${String(e.changes[0]?.newValue)}`);
      if (e.changes[0]?.newValue === 'v1') {
        const nested = await config.setOverride('port', '99');
        events.push(`nested committed gen${nested.generation}`);
      }
    });
    let portSeen!: () => void;
    const seen = new Promise<void>((resolve) => {
      portSeen = resolve;
    });
    config.on('port', (e) => {
      events.push(`port ${String(e.changes[0]?.newValue)}`);
      portSeen();
    });
    write(yaml('v1'));
    await config.reload();
    await seen;
    expect(events).toEqual(['model v1', 'nested committed gen3', 'port 99']);
    expect(config.current.port).toBe(99);
  });
});
