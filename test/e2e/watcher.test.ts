/**
 * The file watcher on real files. Tests wait on batches (see test/helpers/batch-log.ts), never
 * on sleeps; `quiet()` waits for a bounded period without batches where the claim is "nothing
 * more happens". The few fixed delays are part of a scenario (two saves 30 ms apart), not
 * synchronisation. File operations that must land in one quiet window are synchronous calls in
 * one turn of the event loop, so no timer of the watcher can run between them.
 */
import { execFile, spawn } from 'node:child_process';
import {
  mkdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { chmod, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { isHotswapError } from '../../src/errors.js';
import { createWatcher, type Watcher, type WatcherOptions } from '../../src/triggers/watcher.js';
import { type BatchLog, createBatchLog, createGate } from '../helpers/batch-log.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const open: Watcher[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((watcher) => watcher.close()));
});

async function watch(
  paths: string[],
  options: Partial<WatcherOptions> = {},
): Promise<{ watcher: Watcher; log: BatchLog }> {
  const log = createBatchLog();
  const watcher = createWatcher({ paths, onBatch: log.onBatch, onError: log.onError, ...options });
  open.push(watcher);
  await watcher.ready;
  return { watcher, log };
}

/** Active handles and timers of this process, by kind. */
function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

function lastRead(log: BatchLog, file: string): string | null | undefined {
  const last = log.batches.findLast((batch) => batch.read.has(file));
  return last?.read.get(file);
}

describe('file watcher: what is reported', () => {
  it('reports a new file as added, with its content readable', async () => {
    const dir = await tempDir();
    const { log } = await watch([dir]);
    const file = join(dir, 'new.ts');
    await writeFile(file, 'export const a = 1;');
    await log.until(() => log.served.get(file) === 'export const a = 1;', 'new.ts served');
    expect(log.batches[0]).toMatchObject({ added: [file], changed: [], removed: [] });
    expect(log.errors).toEqual([]);
  });

  it('reports a write to an existing file as changed', async () => {
    const dir = await tempDir();
    const file = join(dir, 'a.ts');
    writeFileSync(file, 'one');
    const { log } = await watch([dir]);
    await writeFile(file, 'two, longer');
    await log.until(() => log.served.get(file) === 'two, longer', 'a.ts served');
    expect(log.batches[0]).toMatchObject({ changed: [file], added: [], removed: [] });
  });

  it('reports a deleted file as removed', async () => {
    const dir = await tempDir();
    const file = join(dir, 'gone.ts');
    writeFileSync(file, 'x');
    const { log } = await watch([dir]);
    await rm(file);
    await log.until(() => log.all('removed').has(file), 'gone.ts removed');
    expect(log.batches).toHaveLength(1);
    expect(log.batches[0]).toMatchObject({ changed: [], added: [], removed: [file] });
  });

  it('reports a file deleted and re-created within one quiet window as changed', async () => {
    const dir = await tempDir();
    const file = join(dir, 'again.ts');
    writeFileSync(file, 'first');
    const { log } = await watch([dir]);
    unlinkSync(file);
    writeFileSync(file, 'second');
    await log.until(() => log.served.get(file) === 'second', 'again.ts served');
    await log.quiet();
    expect(log.batches).toHaveLength(1);
    expect(log.batches[0]).toMatchObject({ changed: [file], added: [], removed: [] });
  });

  it('reports an editor save-by-rename as one change of the file, never its temp file', async () => {
    const dir = await tempDir();
    const file = join(dir, 'x.ts');
    const tmp = `${file}.tmp`;
    writeFileSync(file, 'old');
    const { log } = await watch([dir]);
    writeFileSync(tmp, 'new content');
    renameSync(tmp, file);
    await log.until(() => log.served.get(file) === 'new content', 'x.ts served');
    await log.quiet();
    expect(log.batches).toEqual([
      expect.objectContaining({ changed: [file], added: [], removed: [] }),
    ]);
  });

  it('never reports a renamed-over file as removed, however the steps are spread', async () => {
    const dir = await tempDir();
    const file = join(dir, 'x.ts');
    const tmp = `${file}.tmp`;
    writeFileSync(file, 'v0');
    const { log } = await watch([dir]);
    for (let i = 1; i <= 5; i++) {
      await writeFile(tmp, `v${i}`);
      await rename(tmp, file);
    }
    await log.until(() => log.served.get(file) === 'v5', 'x.ts v5 served');
    await log.quiet();
    expect(log.all('removed').has(file)).toBe(false);
    expect(log.all('added').has(file)).toBe(false);
    // Whatever the timing, what is reported is what exists: a temp file seen once is gone now.
    if (log.all('added').has(tmp)) expect(lastBatchWith(log, tmp)?.removed).toContain(tmp);
  });

  it('reports every file of a new folder moved into the tree', async () => {
    const dir = await tempDir();
    const outside = await tempDir();
    mkdirSync(join(dir, 'src'));
    const { log } = await watch([join(dir, 'src')]);
    mkdirSync(join(outside, 'lib', 'deep'), { recursive: true });
    writeFileSync(join(outside, 'lib', 'a.ts'), 'a');
    writeFileSync(join(outside, 'lib', 'deep', 'b.ts'), 'b');
    await rename(join(outside, 'lib'), join(dir, 'src', 'lib'));
    const a = join(dir, 'src', 'lib', 'a.ts');
    const b = join(dir, 'src', 'lib', 'deep', 'b.ts');
    await log.until(() => log.all('added').has(a) && log.all('added').has(b), 'lib/* added');
    // The new folder is watched too.
    await writeFile(b, 'b2');
    await log.until(() => log.served.get(b) === 'b2', 'deep/b.ts changed');
  });

  it('follows a watched folder that is replaced by a new one', async () => {
    const dir = await tempDir();
    const src = join(dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'a.ts'), 'a1');
    writeFileSync(join(src, 'b.ts'), 'b1');
    const { log } = await watch([src]);
    rmSync(src, { recursive: true });
    mkdirSync(src);
    writeFileSync(join(src, 'a.ts'), 'a2');
    await log.until(() => log.all('removed').has(join(src, 'b.ts')), 'b.ts removed');
    expect(log.served.get(join(src, 'a.ts'))).toBe('a2');
    // A handle on the deleted folder would miss this (the new folder often reuses its inode number).
    await writeFile(join(src, 'c.ts'), 'c1');
    await log.until(() => log.served.get(join(src, 'c.ts')) === 'c1', 'c.ts in the new folder');
  });

  it('follows a replaced folder that two watched paths share', async () => {
    const dir = await tempDir();
    const src = join(dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'a.ts'), 'a1');
    writeFileSync(join(src, 'settings.json'), '{}');
    // The folder itself and a file in it: both need the same folder watched.
    const { log } = await watch([src, join(src, 'settings.json')]);
    rmSync(src, { recursive: true });
    mkdirSync(src);
    writeFileSync(join(src, 'a.ts'), 'a2');
    await log.until(() => log.served.get(join(src, 'a.ts')) === 'a2', 'a.ts in the new folder');
    await writeFile(join(src, 'settings.json'), '{"b":1}');
    await log.until(() => log.served.get(join(src, 'settings.json')) === '{"b":1}', 'settings');
    await writeFile(join(src, 'c.ts'), 'c1');
    await log.until(() => log.served.get(join(src, 'c.ts')) === 'c1', 'c.ts in the new folder');
  });

  it('ignores node_modules, .git, dist and editor swap files below a watched folder', async () => {
    const dir = await tempDir();
    for (const sub of ['node_modules/pkg', '.git', 'dist', 'src']) {
      mkdirSync(join(dir, sub), { recursive: true });
    }
    const { log } = await watch([dir], { ignored: (path) => path.endsWith('.log') });
    const real = join(dir, 'src', 'real.ts');
    writeFileSync(join(dir, 'node_modules', 'pkg', 'index.js'), 'x');
    writeFileSync(join(dir, '.git', 'HEAD2'), 'x');
    writeFileSync(join(dir, 'dist', 'out.js'), 'x');
    writeFileSync(join(dir, 'src', '.real.ts.swp'), 'x');
    writeFileSync(join(dir, 'src', 'real.ts~'), 'x');
    writeFileSync(join(dir, 'src', '4913'), 'x');
    writeFileSync(join(dir, 'src', 'debug.log'), 'x');
    writeFileSync(real, 'real');
    await log.until(() => log.served.get(real) === 'real', 'real.ts served');
    await log.quiet();
    expect([...log.all('files')]).toEqual([real]);
  });

  it('watches a folder named dist when it is the watched folder itself', async () => {
    const dir = await tempDir();
    const dist = join(dir, 'dist');
    mkdirSync(dist);
    const { log } = await watch([dist]);
    await writeFile(join(dist, 'out.js'), 'built');
    await log.until(() => log.served.get(join(dist, 'out.js')) === 'built', 'dist/out.js');
  });
});

describe('file watcher: leading batches (development loops)', () => {
  it('hands a save over without waiting for a quiet window, and a burst meanwhile as one batch', async () => {
    const dir = await tempDir();
    const a = join(dir, 'a.ts');
    writeFileSync(a, 'a0');
    // A quiet window far longer than the test's own timeout: only a leading batch can arrive.
    const { log } = await watch([dir], { leading: true, settle: 60_000, maxWait: 60_000 });
    const gate = createGate();
    log.hold = (batch) => (batch.read.get(a) === 'a1' ? gate.wait() : Promise.resolve());
    await writeFile(a, 'a1');
    await log.until(() => log.served.get(a) === 'a1', 'leading batch');
    expect(log.batches).toHaveLength(1);
    // While that batch is held, a burst lands; it waits for a quiet window (60 s here).
    for (let i = 0; i < 5; i++) writeFileSync(join(dir, `b${i}.ts`), `b${i}`);
    gate.open();
    await log.quiet();
    expect(log.batches).toHaveLength(1);
  });

  it('holds back a file caught truncated to nothing, mid-save', async () => {
    const dir = await tempDir();
    const file = join(dir, 'a.ts');
    writeFileSync(file, 'export const a = 1;');
    // The round after the hold comes at maxWait (2 s): long enough to see that no batch read ''.
    const { log } = await watch([dir], { leading: true, settle: 60_000, maxWait: 2_000 });
    // The first half of a save (open with O_TRUNC); the leading round sees the file empty.
    writeFileSync(file, '');
    await log.quiet(200);
    expect(log.batches).toEqual([]);
    await writeFile(file, 'export const a = 2;');
    await log.until(() => log.served.get(file) === 'export const a = 2;', 'the second half');
    expect(log.all('files')).toEqual(new Set([file]));
    expect(log.batches.some((batch) => batch.read.get(file) === '')).toBe(false);
  });

  it('reports a file emptied for good, one quiet window later', async () => {
    const dir = await tempDir();
    const file = join(dir, 'a.ts');
    writeFileSync(file, 'export const a = 1;');
    const { log } = await watch([dir], { leading: true });
    writeFileSync(file, '');
    await log.until(() => log.served.get(file) === '', 'the empty file');
    await log.quiet();
    expect(log.batches).toEqual([expect.objectContaining({ changed: [file] })]);
  });

  it('watches folders, not files: one system watcher per folder', async () => {
    const dir = await tempDir();
    for (const sub of ['a', 'b']) {
      mkdirSync(join(dir, sub));
      for (let i = 0; i < 200; i++) writeFileSync(join(dir, sub, `m${i}.ts`), `${i}`);
    }
    const before = resources().FSEventWrap ?? 0;
    const { log } = await watch([dir]);
    // The folder, its two subfolders, and the folder above it (which sees it replaced).
    expect((resources().FSEventWrap ?? 0) - before).toBe(4);
    mkdirSync(join(dir, 'c'));
    writeFileSync(join(dir, 'c', 'new.ts'), 'new');
    await log.until(() => log.served.get(join(dir, 'c', 'new.ts')) === 'new', 'c/new.ts');
    expect((resources().FSEventWrap ?? 0) - before).toBe(5);
  });
});

describe('file watcher: last write wins', () => {
  it('serves the second of two saves 30 ms apart', async () => {
    const dir = await tempDir();
    const file = join(dir, 'a.ts');
    writeFileSync(file, 'zero');
    const { log } = await watch([dir]);
    await writeFile(file, 'one');
    await delay(30); // the scenario: two saves 30 ms apart
    await writeFile(file, 'two');
    await log.until(() => log.served.get(file) === 'two', 'second save served');
    await log.quiet();
    expect(lastRead(log, file)).toBe('two');
  });

  it('serves the second save when it lands while a slow consumer holds the first', async () => {
    const dir = await tempDir();
    const file = join(dir, 'a.ts');
    writeFileSync(file, 'zero');
    const { log } = await watch([dir]);
    const gate = createGate();
    log.hold = () => gate.wait();
    await writeFile(file, 'one');
    await delay(30); // the scenario: two saves 30 ms apart, the consumer still busy
    await writeFile(file, 'two'); // same size as 'one'
    gate.open();
    await log.until(() => log.served.get(file) === 'two', 'second save served');
    await log.quiet();
    expect(lastRead(log, file)).toBe('two');
  });

  it('hands a file over again when it changed after the consumer read it', async () => {
    const dir = await tempDir();
    const file = join(dir, 'a.ts');
    writeFileSync(file, 'zero');
    const { log } = await watch([dir]);
    const gate = createGate();
    log.hold = (batch) => (batch.read.get(file) === 'one' ? gate.wait() : Promise.resolve());
    await writeFile(file, 'one');
    // The consumer has read 'one' and is still busy: the next write lands now, same size.
    await log.until(() => log.served.get(file) === 'one', 'first save read');
    await writeFile(file, 'two');
    gate.open();
    await log.until(() => log.served.get(file) === 'two', 'second save served');
    await log.quiet();
    expect(lastRead(log, file)).toBe('two');
  });

  it('hands a file over again when it changed between the event and the read', async () => {
    const dir = await tempDir();
    const file = join(dir, 'a.ts');
    writeFileSync(file, 'zero');
    const { log } = await watch([dir]);
    let raced = false;
    log.beforeRead = async () => {
      if (raced) return;
      raced = true;
      await writeFile(file, 'two');
    };
    await writeFile(file, 'one');
    await log.until(() => log.served.get(file) === 'two', 'second save served');
    await log.quiet();
    expect(lastRead(log, file)).toBe('two');
  });

  it('serves the last of 200 writes to one file', async () => {
    const dir = await tempDir();
    const file = join(dir, 'burst.ts');
    const version = (i: number): string => `export const v = ${String(i).padStart(3, '0')};`;
    writeFileSync(file, version(0));
    const { log } = await watch([dir]);
    // A consumer that yields a few times per batch, as a reload would.
    log.hold = async () => {
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    };
    for (let i = 1; i <= 200; i++) await writeFile(file, version(i));
    await log.until(() => log.served.get(file) === version(200), 'write 200 served');
    await log.quiet();
    expect(lastRead(log, file)).toBe(version(200));
  });

  it('hands 200 writes made in one go over as one batch, however many events they raise', async () => {
    const dir = await tempDir();
    const file = join(dir, 'burst.ts');
    writeFileSync(file, 'v000');
    const { log } = await watch([dir]);
    for (let i = 1; i <= 200; i++) writeFileSync(file, `v${String(i).padStart(3, '0')}`);
    await log.until(() => log.served.get(file) === 'v200', 'write 200 served');
    await log.quiet();
    expect(log.batches).toHaveLength(1);
  });
});

describe('file watcher: git', () => {
  const gitEnv = {
    ...process.env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 't',
    GIT_AUTHOR_EMAIL: 't@example.com',
    GIT_COMMITTER_NAME: 't',
    GIT_COMMITTER_EMAIL: 't@example.com',
  };
  const git = (cwd: string, ...args: string[]) => run('git', args, { cwd, env: gitEnv });

  it('hands a checkout that touches 50 files over as exactly one batch', async () => {
    const repo = await tempDir();
    const src = join(repo, 'src');
    mkdirSync(src);
    const name = (i: number) => join(src, `m${String(i).padStart(2, '0')}.ts`);
    for (let i = 0; i < 45; i++) writeFileSync(name(i), `export const m = ${i}; // main\n`);
    await git(repo, 'init', '-q', '-b', 'main');
    await git(repo, 'add', '.');
    await git(repo, 'commit', '-q', '-m', 'main');
    await git(repo, 'checkout', '-q', '-b', 'feature');
    // 40 files modified, 5 deleted, 5 added in a folder that does not exist on main.
    for (let i = 0; i < 40; i++) writeFileSync(name(i), `export const m = ${i}; // feature\n`);
    for (let i = 40; i < 45; i++) unlinkSync(name(i));
    mkdirSync(join(src, 'extra'));
    const extra = (i: number) => join(src, 'extra', `e${i}.ts`);
    for (let i = 0; i < 5; i++) writeFileSync(extra(i), `export const e = ${i};\n`);
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '-q', '-m', 'feature');
    await git(repo, 'checkout', '-q', 'main');

    const { log } = await watch([repo]);
    await git(repo, 'checkout', '-q', 'feature');
    const expected = new Map<string, string | null>();
    for (let i = 0; i < 40; i++) expected.set(name(i), `export const m = ${i}; // feature\n`);
    for (let i = 40; i < 45; i++) expected.set(name(i), null);
    for (let i = 0; i < 5; i++) expected.set(extra(i), `export const e = ${i};\n`);
    await log.until(
      () => [...expected].every(([file, content]) => log.served.get(file) === content),
      'every file of the checkout served',
    );
    await log.quiet();
    // Git holds .git/index.lock until the last file is written: the watcher waits for it.
    expect(log.batches).toHaveLength(1);
    const [batch] = log.batches;
    expect(batch?.changed).toHaveLength(40);
    expect(batch?.removed).toHaveLength(5);
    expect(batch?.added).toEqual([...Array(5).keys()].map(extra));
    expect(batch?.files).toHaveLength(50);
    expect(log.errors).toEqual([]);
  });
  it('holds batches while git holds its index lock, then hands them over as one', async () => {
    const repo = await tempDir();
    await git(repo, 'init', '-q', '-b', 'main');
    const lock = join(repo, '.git', 'index.lock');
    const { log } = await watch([repo]);
    writeFileSync(lock, '');
    const files = [...Array(5).keys()].map((i) => join(repo, `f${i}.ts`));
    for (const file of files) {
      await writeFile(file, 'x');
      await delay(50); // the scenario: a slow git, pausing longer than the quiet window
    }
    await log.quiet();
    expect(log.batches).toEqual([]);
    await rm(lock);
    await log.until(() => files.every((file) => log.served.get(file) === 'x'), 'all files');
    await log.quiet();
    expect(log.batches).toHaveLength(1);
  });
});

describe('file watcher: single files and symlinks', () => {
  /** A Kubernetes ConfigMap volume, as the kubelet's AtomicWriter lays it out. */
  function configMap(dir: string, content: string): void {
    mkdirSync(join(dir, '..2026_11_22_01_00_00.000000001'));
    writeFileSync(join(dir, '..2026_11_22_01_00_00.000000001', 'config.yaml'), content);
    symlinkSync('..2026_11_22_01_00_00.000000001', join(dir, '..data'));
    symlinkSync('..data/config.yaml', join(dir, 'config.yaml'));
  }

  /** The kubelet's update: new timestamped folder, `..data` renamed over, old folder removed. */
  async function swap(
    dir: string,
    stamp: string,
    content: string,
    spread: boolean,
    keepOld = false,
  ) {
    const step = spread ? () => new Promise((resolve) => setImmediate(resolve)) : () => undefined;
    const old = join(dir, readlinkSync(join(dir, '..data')));
    mkdirSync(join(dir, stamp));
    await step();
    writeFileSync(join(dir, stamp, 'config.yaml'), content);
    await step();
    symlinkSync(stamp, join(dir, '..data_tmp'));
    await step();
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    await step();
    if (!keepOld) rmSync(old, { recursive: true });
  }

  it('reports exactly one change per ConfigMap symlink swap', async () => {
    const dir = await tempDir();
    configMap(dir, 'version: 1\n');
    const file = join(dir, 'config.yaml');
    const { log } = await watch([file]);

    const second = '..2026_11_22_02_00_00.000000002';
    await swap(dir, second, 'version: 2\n', false);
    await log.until(() => log.served.get(file) === 'version: 2\n', 'version 2 served');
    await log.quiet();
    expect(log.batches).toEqual([
      expect.objectContaining({ changed: [file], added: [], removed: [] }),
    ]);

    // The same, with the kubelet's steps spread over several turns of the event loop.
    const third = '..2026_11_22_03_00_00.000000003';
    await swap(dir, third, 'version: 3\n', true);
    await log.until(() => log.served.get(file) === 'version: 3\n', 'version 3 served');
    await log.quiet();
    expect(log.batches).toHaveLength(2);
    expect(log.batches[1]).toMatchObject({ changed: [file], added: [], removed: [] });

    // Old folder kept: the only events are the `..data` rename next to config.yaml.
    const fourth = '..2026_11_22_04_00_00.000000004';
    await swap(dir, fourth, 'version: 4\n', true, true);
    await log.until(() => log.served.get(file) === 'version: 4\n', 'version 4 served');
    await log.quiet();
    expect(log.batches).toHaveLength(3);
    expect(log.batches[2]).toMatchObject({ changed: [file], added: [], removed: [] });
  });

  it('watches a single file that an editor saves by rename', async () => {
    const dir = await tempDir();
    const file = join(dir, 'settings.json');
    writeFileSync(file, '{"a":1}');
    writeFileSync(join(dir, 'other.json'), '{}');
    const { log } = await watch([file]);
    await writeFile(join(dir, 'other.json'), '{"noise":true}');
    await writeFile(`${file}.tmp`, '{"a":2}');
    await rename(`${file}.tmp`, file);
    await log.until(() => log.served.get(file) === '{"a":2}', 'settings.json served');
    await log.quiet();
    expect([...log.all('files')]).toEqual([file]);
    expect(log.all('changed')).toEqual(new Set([file]));
  });

  it('reports a watched file that does not exist yet when it appears, even in new folders', async () => {
    const dir = await tempDir();
    const later = join(dir, 'later.yaml');
    const deep = join(dir, 'conf.d', 'sub', 'deep.yaml');
    const { log } = await watch([later, deep]);
    mkdirSync(join(dir, 'conf.d', 'sub'), { recursive: true });
    writeFileSync(deep, 'b: 1');
    await log.until(() => log.served.get(deep) === 'b: 1', 'conf.d/sub/deep.yaml added');
    await writeFile(deep, 'b: 2');
    await log.until(() => log.served.get(deep) === 'b: 2', 'conf.d/sub/deep.yaml changed');
    await writeFile(later, 'a: 1');
    await log.until(() => log.all('added').has(later), 'later.yaml added');
    await rm(later);
    await log.until(() => log.all('removed').has(later), 'later.yaml removed');
    expect(log.all('added')).toEqual(new Set([deep, later]));
  });

  it('compares what a symlinked file resolves to', async () => {
    const dir = await tempDir();
    writeFileSync(join(dir, 'blue.txt'), 'blue');
    writeFileSync(join(dir, 'green.txt'), 'green');
    const link = join(dir, 'current.txt');
    await symlink('blue.txt', link);
    const { log } = await watch([link]);
    await writeFile(join(dir, 'blue.txt'), 'blue, edited');
    await log.until(() => log.served.get(link) === 'blue, edited', 'edit through the link');
    await symlink('green.txt', `${link}.new`);
    await rename(`${link}.new`, link);
    await log.until(() => log.served.get(link) === 'green', 'link re-pointed');
  });
});

describe('file watcher: consumer, errors, add and remove', () => {
  it('reports an error thrown by the consumer and keeps watching', async () => {
    const dir = await tempDir();
    const file = join(dir, 'a.ts');
    writeFileSync(file, 'zero');
    const failure = new Error('reload failed');
    let calls = 0;
    const log = createBatchLog();
    const watcher = createWatcher({
      paths: [dir],
      onBatch: async (batch) => {
        await log.onBatch(batch);
        if (++calls === 1) throw failure;
      },
      onError: log.onError,
    });
    open.push(watcher);
    await watcher.ready;
    await writeFile(file, 'one');
    await log.until(() => log.errors.length === 1, 'the error reported');
    expect(log.errors).toEqual([failure]);
    await writeFile(file, 'two');
    await log.until(() => log.served.get(file) === 'two', 'later change delivered');
  });

  it.skipIf(process.getuid?.() === 0)(
    'reports an unreadable folder as HS_ERR_WATCHER_FAILED',
    async () => {
      const dir = await tempDir();
      const locked = join(dir, 'locked');
      mkdirSync(locked);
      const { log } = await watch([dir]);
      await chmod(locked, 0);
      try {
        await rename(locked, join(dir, 'locked2'));
        await log.until(() => log.errors.length > 0, 'an error');
        expect(isHotswapError(log.errors[0], 'HS_ERR_WATCHER_FAILED')).toBe(true);
      } finally {
        await chmod(join(dir, 'locked2'), 0o755);
      }
    },
  );

  it('never calls the consumer concurrently', async () => {
    const dir = await tempDir();
    const file = join(dir, 'a.ts');
    writeFileSync(file, '0');
    let active = 0;
    let overlapped = false;
    const { log } = await watch([dir]);
    log.hold = async () => {
      active++;
      if (active > 1) overlapped = true;
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
      active--;
    };
    for (let i = 1; i <= 50; i++) {
      await writeFile(file, String(i));
      if (i % 10 === 0) await log.until(() => log.served.get(file) === String(i), `write ${i}`);
    }
    await log.quiet();
    expect(overlapped).toBe(false);
    expect(log.served.get(file)).toBe('50');
  });

  it('adds and removes paths at run time, and releases their system watchers', async () => {
    const dir = await tempDir();
    const other = await tempDir();
    const file = join(other, 'extra.yaml');
    writeFileSync(file, 'a: 0');
    const before = resources().FSEventWrap ?? 0;
    const { watcher, log } = await watch([dir]);
    const withDir = resources().FSEventWrap ?? 0;
    expect(withDir).toBeGreaterThan(before);

    for (let round = 1; round <= 10; round++) {
      await watcher.add([file]);
      await writeFile(file, `a: ${round}`);
      await log.until(() => log.served.get(file) === `a: ${round}`, `round ${round} served`);
      await watcher.remove([file]);
      expect(resources().FSEventWrap ?? 0).toBe(withDir);
    }
    const batches = log.batches.length;
    await writeFile(file, 'a: removed');
    await log.quiet();
    expect(log.batches).toHaveLength(batches);
    // Adding a path twice needs removing it twice.
    await watcher.add([file]);
    await watcher.add([file]);
    await watcher.remove([file]);
    await writeFile(file, 'a: still watched');
    await log.until(() => log.served.get(file) === 'a: still watched', 'still watched');
  });

  it('lets the consumer add a path and close the watcher from inside a batch', async () => {
    const dir = await tempDir();
    const other = await tempDir();
    const file = join(dir, 'a.ts');
    const extra = join(other, 'b.ts');
    writeFileSync(extra, 'b0');
    const { watcher, log } = await watch([dir]);
    const added = createGate();
    log.hold = async (batch) => {
      if (batch.files.includes(file)) {
        await watcher.add([extra]);
        added.open();
      }
      if (batch.files.includes(extra)) await watcher.close();
    };
    await writeFile(file, 'a1');
    // add() resolves once b.ts is fingerprinted: a write after that is a change.
    await added.wait();
    await writeFile(extra, 'b1');
    await log.until(() => log.served.get(extra) === 'b1', 'b.ts served');
    const batches = log.batches.length;
    await writeFile(file, 'a2');
    await log.quiet();
    expect(log.batches).toHaveLength(batches);
  });
});

describe('file watcher: close', () => {
  it('leaves no fs watcher or timer behind, even with a batch pending', async () => {
    const dir = await tempDir();
    const file = join(dir, 'a.ts');
    writeFileSync(file, 'zero');
    const before = resources();
    const { watcher, log } = await watch([dir]);
    await writeFile(file, 'one');
    await log.until(() => log.served.get(file) === 'one', 'first change');
    await writeFile(file, 'two');
    await watcher.close();
    const after = resources();
    expect(after.FSEventWrap ?? 0).toBe(before.FSEventWrap ?? 0);
    expect(after.StatWatcher ?? 0).toBe(before.StatWatcher ?? 0);
    expect(after.Timeout ?? 0).toBeLessThanOrEqual(before.Timeout ?? 0);
    const batches = log.batches.length;
    await log.quiet();
    expect(log.batches).toHaveLength(batches);
  });

  it('lets the process exit on its own after close', async () => {
    const dir = await tempDir();
    const { code, output } = await runChild('watcher-exit.ts', [dir]);
    expect(output).toContain('closed');
    expect(code).toBe(0);
  });
});

describe('file watcher: memory', () => {
  it('keeps the heap flat over thousands of batches', async () => {
    const dir = await tempDir();
    const { code, output } = await runChild(
      'watcher-memory.ts',
      [dir, '300', '2000'],
      ['--expose-gc'],
    );
    expect(code, output).toBe(0);
    const { batches, before, after } = JSON.parse(output.trim().split('\n').at(-1) ?? '{}');
    expect(batches).toBeGreaterThanOrEqual(2000);
    // 1,700 batches after the warm-up: keeping 600 bytes per batch would exceed this.
    expect(after - before).toBeLessThan(1024 * 1024);
  });
});

/** Runs a helper script in a child process; resolves with its exit code and output. */
async function runChild(
  script: string,
  args: string[],
  nodeArgs: string[] = [],
): Promise<{ code: number | null; output: string }> {
  const path = new URL(`../helpers/${script}`, import.meta.url).pathname;
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path, ...args], {
    cwd: new URL('../..', import.meta.url).pathname,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const code = await new Promise<number | null>((resolve) => {
    // A bound only: a process kept alive by a leftover handle never exits by itself.
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('exit', (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  return { code, output };
}

function lastBatchWith(log: BatchLog, file: string) {
  return log.batches.findLast((batch) => batch.files.includes(file));
}
