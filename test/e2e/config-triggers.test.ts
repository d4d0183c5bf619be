/**
 * Reloads of a config from its triggers: the file watcher (editor save-by-rename, a layer
 * created later, a Kubernetes ConfigMap symlink swap, last write wins) and SIGHUP to a process.
 */
import { fork } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createWatcher, type Watcher } from '../../src/triggers/watcher.js';
import { createConfig } from '../../src/units/config/index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hs-config-triggers-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const schema = z.object({ model: z.string(), temperature: z.number() });
const yaml = (model: string, temperature = 0.5) => `model: ${model}\ntemperature: ${temperature}\n`;

/** A config reloaded by a watcher over its watch paths, as `hotswap run` wires them. */
async function watched(dir: string) {
  const config = createConfig({ files: ['config.yaml'], cwd: dir, env: false, schema });
  await config.load();
  const failures: unknown[] = [];
  const failureWaiters: (() => void)[] = [];
  const watcher: Watcher = createWatcher({
    paths: config.watchPaths(),
    async onBatch({ files }) {
      try {
        await config.reload({ trigger: { kind: 'watcher', detail: [...files].join(', ') } });
      } catch (err) {
        failures.push(err);
        for (const w of failureWaiters.splice(0)) w();
      }
    },
  });
  cleanups.push(() => watcher.close());
  await watcher.ready;
  /** Resolves when a committed change makes `test` true. */
  const until = (test: (c: typeof config.current) => boolean) =>
    new Promise<void>((resolve) => {
      if (test(config.current)) return resolve();
      const off = config.on('**', ({ current }) => {
        if (test(current)) {
          off();
          resolve();
        }
      });
    });
  const nextFailure = () => new Promise<void>((resolve) => failureWaiters.push(resolve));
  return { config, until, failures, nextFailure };
}

describe('config reloaded by the file watcher', () => {
  it('on an editor save-by-rename, and keeps the live config through a broken save', async () => {
    const dir = tempDir();
    const file = join(dir, 'config.yaml');
    writeFileSync(file, yaml('v0'));
    const { config, until, failures, nextFailure } = await watched(dir);

    await writeFile(`${file}.tmp`, yaml('v1'));
    await rename(`${file}.tmp`, file);
    await until((c) => c.model === 'v1');
    expect(config.generation).toBe(2);

    const failed = nextFailure();
    await writeFile(`${file}.tmp`, 'model: [broken\n');
    await rename(`${file}.tmp`, file);
    await failed;
    expect(failures).toEqual([expect.objectContaining({ code: 'HS_ERR_CONFIG_PARSE' })]);
    expect(config.current.model).toBe('v1');

    await writeFile(`${file}.tmp`, yaml('v2'));
    await rename(`${file}.tmp`, file);
    await until((c) => c.model === 'v2');
    expect(config.snapshots().map((s) => s.id)).toEqual([3, 2, 1]);
  });

  it('when a local layer that did not exist is created, and last write wins', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.yaml'), yaml('base'));
    const { config, until } = await watched(dir);
    writeFileSync(join(dir, 'config.local.yaml'), 'temperature: 1.5\n');
    await until((c) => c.temperature === 1.5);
    expect(config.current).toEqual({ model: 'base', temperature: 1.5 });

    for (let i = 1; i <= 5; i++) writeFileSync(join(dir, 'config.yaml'), yaml(`burst-${i}`));
    await until((c) => c.model === 'burst-5');
    expect(config.current.model).toBe('burst-5');
  });

  it('on a Kubernetes ConfigMap swap (config.yaml -> ..data/config.yaml, ..data re-pointed)', async () => {
    const dir = tempDir();
    const first = '..2026_11_22_01_00_00.000000001';
    mkdirSync(join(dir, first));
    writeFileSync(join(dir, first, 'config.yaml'), yaml('cm-1'));
    symlinkSync(first, join(dir, '..data'));
    symlinkSync('..data/config.yaml', join(dir, 'config.yaml'));
    const { config, until } = await watched(dir);
    expect(config.current.model).toBe('cm-1');

    // The kubelet's AtomicWriter: new folder, a temp link renamed over ..data, old folder removed.
    const second = '..2026_11_22_02_00_00.000000002';
    const old = join(dir, readlinkSync(join(dir, '..data')));
    mkdirSync(join(dir, second));
    writeFileSync(join(dir, second, 'config.yaml'), yaml('cm-2', 0.9));
    symlinkSync(second, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    rmSync(old, { recursive: true });
    await until((c) => c.model === 'cm-2');
    expect(config.current).toEqual({ model: 'cm-2', temperature: 0.9 });
    expect(config.snapshots()[0]?.trigger.kind).toBe('watcher');
  });
});

describe('config reloaded on SIGHUP', () => {
  it('re-reads its files when the process gets SIGHUP, and keeps running after a bad one', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.yaml'), 'model: v0\ntoken: tk-SECRET-42\n');
    const app = fileURLToPath(new URL('../fixtures/config-signals/app.ts', import.meta.url));
    const child = fork(app, [dir], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    cleanups.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const queue: Record<string, unknown>[] = [];
    const waiters: ((m: Record<string, unknown>) => void)[] = [];
    child.on('message', (m: Record<string, unknown>) => {
      const w = waiters.shift();
      if (w) w(m);
      else queue.push(m);
    });
    const next = () =>
      new Promise<Record<string, unknown>>((resolve) => {
        const m = queue.shift();
        if (m) resolve(m);
        else waiters.push(resolve);
      });

    expect(await next()).toEqual({ event: 'ready', value: { model: 'v0', token: '[redacted]' } });
    writeFileSync(join(dir, 'config.yaml'), 'model: v1\ntoken: tk-SECRET-42\n');
    process.kill(child.pid!, 'SIGHUP');
    expect(await next()).toEqual({
      event: 'changed',
      generation: 2,
      value: { model: 'v1', token: '[redacted]' },
    });
    writeFileSync(join(dir, 'config.yaml'), 'model: [\n');
    process.kill(child.pid!, 'SIGHUP');
    expect(await next()).toEqual({ event: 'failed', code: 'HS_ERR_CONFIG_PARSE' });
    writeFileSync(join(dir, 'config.yaml'), 'model: v2\ntoken: tk-SECRET-42\n');
    process.kill(child.pid!, 'SIGHUP');
    expect(await next()).toEqual({
      event: 'changed',
      generation: 3,
      value: { model: 'v2', token: '[redacted]' },
    });
    child.send('exit');
  });
});
