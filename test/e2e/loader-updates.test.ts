/**
 * Updates through the loader: propagation to boundaries, the Vite-compatible `import.meta.hot`
 * API, and every failure kind — each leaves the live version serving and names file, line and
 * cause; the next good save recovers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type HotswapError, isHotswapError } from '../../src/errors.js';
import { createLoader, type Loader } from '../../src/loader/loader.js';
import { type AppDir, createAppDir } from '../helpers/app-dir.js';

let app: AppDir;
let loader: Loader;
let invalidations: { file: string; importers: string[]; message: string | undefined }[];

function setup(files: Record<string, string>): void {
  app = createAppDir(files);
  invalidations = [];
  loader = createLoader({ root: app.root, onInvalidate: (request) => invalidations.push(request) });
}

afterEach(async () => {
  await loader?.close();
  app?.cleanup();
  delete (globalThis as Record<string, unknown>).__events;
});

// biome-ignore lint/suspicious/noExplicitAny: namespaces of fixture modules are untyped.
type Ns = Record<string, any>;

/** Module text that counts its evaluations in a global, so tests see what was re-run. */
const counted = (name: string, body: string): string =>
  `(globalThis.__events ??= []).push('eval:${name}');\n${body}`;
const events = (): string[] => ((globalThis as Record<string, unknown>).__events as string[]) ?? [];

async function failure(work: Promise<unknown>): Promise<HotswapError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isHotswapError(err)) throw new Error(`expected a HotswapError, got ${String(err)}`);
  return err;
}

describe('propagation', () => {
  it('re-evaluates a self-accepting module only; importers read the new exports through live bindings', async () => {
    setup({
      'leaf.ts': counted('leaf', "export const value = 'v1';\nimport.meta.hot?.accept();\n"),
      'main.ts': counted(
        'main',
        "import { value } from './leaf.ts';\nexport const read = () => value;\n",
      ),
    });
    const main = await loader.import<Ns>('./main.ts');
    expect(main.read()).toBe('v1');
    app.write({
      'leaf.ts': counted('leaf', "export const value = 'v2';\nimport.meta.hot?.accept();\n"),
    });
    const update = await loader.update([app.path('leaf.ts')]);
    expect(update.outcome).toBe('updated');
    expect(update.reevaluated).toEqual([app.path('leaf.ts')]);
    expect(main.read()).toBe('v2');
    expect(events()).toEqual(['eval:leaf', 'eval:main', 'eval:leaf']);
    expect(loader.generation(app.path('leaf.ts'))).toBe(2);
  });

  it('re-evaluates importers up to the accepting module, and nothing above it', async () => {
    setup({
      'leaf.ts': counted('leaf', 'export const n = 1;\n'),
      'mid.ts': counted('mid', "import { n } from './leaf.ts';\nexport const doubled = n * 2;\n"),
      'routes.ts': counted(
        'routes',
        "import { doubled } from './mid.ts';\nexport const answer = () => doubled;\nimport.meta.hot?.accept();\n",
      ),
      'server.ts': counted(
        'server',
        "import { answer } from './routes.ts';\nexport const serve = () => answer();\n",
      ),
    });
    const server = await loader.import<Ns>('./server.ts');
    app.write({ 'leaf.ts': counted('leaf', 'export const n = 21;\n') });
    const update = await loader.update([app.path('leaf.ts')]);
    expect(new Set(update.reevaluated)).toEqual(
      new Set(['leaf.ts', 'mid.ts', 'routes.ts'].map(app.path)),
    );
    expect(server.serve()).toBe(42);
    expect(events().filter((e) => e === 'eval:server')).toHaveLength(1);
  });

  it('treats a touched file with the same content as unchanged', async () => {
    setup({ 'a.ts': 'export const a = 1;\nimport.meta.hot?.accept();\n' });
    await loader.import('./a.ts');
    app.write({ 'a.ts': 'export const a = 1;\nimport.meta.hot?.accept();\n' });
    expect((await loader.update([app.path('a.ts')])).outcome).toBe('unchanged');
  });

  it('needs a restart when a change reaches the entry and nothing accepts it', async () => {
    setup({
      'leaf.ts': 'export const x = 1;\n',
      'main.ts': "import { x } from './leaf.ts';\nexport const y = x;\n",
    });
    const main = await loader.import<Ns>('./main.ts');
    app.write({ 'leaf.ts': 'export const x = 2;\n' });
    const update = await loader.update([app.path('leaf.ts')]);
    expect(update.outcome).toBe('restart-required');
    expect(isHotswapError(update.restart, 'HS_ERR_LOADER_NO_BOUNDARY')).toBe(true);
    expect(update.restart?.message).toContain(app.path('main.ts'));
    expect(main.y).toBe(1);
  });
});

describe('import.meta.hot', () => {
  it('accept(cb): the old version receives the new namespace', async () => {
    setup({
      'mod.ts':
        'export const v = 1;\nimport.meta.hot?.accept((next) => { (globalThis.__events ??= []).push(`accepted:${next?.v}`); });\n',
    });
    await loader.import('./mod.ts');
    app.write({ 'mod.ts': 'export const v = 2;\nimport.meta.hot?.accept(() => {});\n' });
    await loader.update([app.path('mod.ts')]);
    expect(events()).toEqual(['accepted:2']);
  });

  it('accept(dep, cb): the accepting module is not re-evaluated and gets the new dependency', async () => {
    setup({
      'dep.ts': counted('dep', 'export const v = 1;\n'),
      'main.ts': counted(
        'main',
        "import { v } from './dep.ts';\nexport const read = () => v;\nimport.meta.hot?.accept('./dep.ts', (next) => { globalThis.__events.push(`dep:${next?.v}`); });\nimport.meta.hot?.accept(['./dep.ts'], (list) => { globalThis.__events.push(`deps:${list.map((m) => m?.v).join()}`); });\n",
      ),
    });
    const main = await loader.import<Ns>('./main.ts');
    app.write({ 'dep.ts': counted('dep', 'export const v = 2;\n') });
    await loader.update([app.path('dep.ts')]);
    expect(events()).toEqual(['eval:dep', 'eval:main', 'eval:dep', 'dep:2', 'deps:2']);
    expect(main.read()).toBe(2);
  });

  it('dispose(cb) runs after the new version committed; hot.data carries state across versions', async () => {
    const version = (n: number): string =>
      `const hot = import.meta.hot!;\nhot.data.count = ((hot.data.count as number) ?? 0) + 1;\nexport const count = hot.data.count;\nexport const v = ${n};\nhot.dispose((data) => { (globalThis.__events ??= []).push(\`dispose:v${n}:\${data.count}\`); });\nhot.accept();\n`;
    setup({ 'state.ts': version(1) });
    const first = await loader.import<Ns>('./state.ts');
    expect(first.count).toBe(1);
    app.write({ 'state.ts': version(2) });
    await loader.update([app.path('state.ts')]);
    expect(loader.namespace(app.path('state.ts'))?.count).toBe(2);
    expect(events()).toEqual(['dispose:v1:2']);
  });

  it('prune(cb) runs when no module imports a file any more, and its version is disposed', async () => {
    setup({
      'gone.ts':
        "import.meta.hot?.prune(() => { (globalThis.__events ??= []).push('pruned'); });\nimport.meta.hot?.dispose(() => { globalThis.__events.push('disposed'); });\nexport const g = 1;\n",
      'main.ts':
        "import { g } from './gone.ts';\nexport const m = g;\nimport.meta.hot?.accept();\n",
    });
    await loader.import('./main.ts');
    app.write({ 'main.ts': 'export const m = 0;\nimport.meta.hot?.accept();\n' });
    const update = await loader.update([app.path('main.ts')]);
    expect(update.pruned).toEqual([app.path('gone.ts')]);
    expect(events()).toEqual(['pruned', 'disposed']);
    expect(loader.has(app.path('gone.ts'))).toBe(false);
  });

  it('decline(): a change to the module needs a restart', async () => {
    setup({
      'fixed.ts': 'export const f = 1;\nimport.meta.hot?.decline();\nimport.meta.hot?.accept();\n',
    });
    await loader.import('./fixed.ts');
    app.write({ 'fixed.ts': 'export const f = 2;\n' });
    const update = await loader.update([app.path('fixed.ts')]);
    expect(update.outcome).toBe('restart-required');
    expect(isHotswapError(update.restart, 'HS_ERR_LOADER_DECLINED')).toBe(true);
  });

  it('invalidate(): the host is asked to update the importers', async () => {
    setup({
      'child.ts':
        "export const c = 1;\nimport.meta.hot?.accept(() => { import.meta.hot?.invalidate('shape changed'); });\n",
      'parent.ts': "import { c } from './child.ts';\nexport const p = c;\n",
    });
    await loader.import('./parent.ts');
    app.write({ 'child.ts': 'export const c = 2;\nimport.meta.hot?.accept();\n' });
    await loader.update([app.path('child.ts')]);
    await Promise.resolve();
    expect(invalidations).toEqual([
      { file: app.path('child.ts'), importers: [app.path('parent.ts')], message: 'shape changed' },
    ]);
  });

  it('on(): update events reach listeners, and a replaced version stops listening', async () => {
    const version = (n: number): string =>
      `import.meta.hot?.on('vite:beforeUpdate', () => { (globalThis.__events ??= []).push('before:v${n}'); });\nimport.meta.hot?.on('hotswap:afterUpdate', () => { globalThis.__events.push('after:v${n}'); });\nexport const v = ${n};\nimport.meta.hot?.accept();\n`;
    setup({ 'listen.ts': version(1) });
    await loader.import('./listen.ts');
    app.write({ 'listen.ts': version(2) });
    await loader.update([app.path('listen.ts')]);
    app.write({ 'listen.ts': version(3) });
    await loader.update([app.path('listen.ts')]);
    expect(events()).toEqual(['before:v1', 'after:v2', 'before:v2', 'after:v3']);
  });
});

describe('failures change nothing, name file, line and cause, and the next good save recovers', () => {
  const good = (v: number): string =>
    `export const value: number = ${v};\nimport.meta.hot?.accept();\n`;

  async function start(): Promise<Ns> {
    setup({
      'leaf.ts': good(1),
      'main.ts': "import { value } from './leaf.ts';\nexport const read = () => value;\n",
    });
    return loader.import<Ns>('./main.ts');
  }

  async function expectRecovery(main: Ns): Promise<void> {
    expect(main.read()).toBe(1);
    expect(loader.generation(app.path('leaf.ts'))).toBe(1);
    app.write({ 'leaf.ts': good(3) });
    const update = await loader.update([app.path('leaf.ts')]);
    expect(update.outcome).toBe('updated');
    expect(main.read()).toBe(3);
  }

  it('a syntax error', async () => {
    const main = await start();
    app.write({ 'leaf.ts': 'export const value: number = ;\n' });
    const err = await failure(loader.update([app.path('leaf.ts')]));
    expect(err.code).toBe('HS_ERR_LOADER_SYNTAX');
    expect(err.location).toEqual({ file: app.path('leaf.ts'), line: 1, column: 30 });
    expect(err.frame).toContain('> 1 | export const value: number = ;');
    await expectRecovery(main);
  });

  it('a throwing module body, located at the throw', async () => {
    const main = await start();
    app.write({
      'leaf.ts': "export const value: number = 2;\n\nthrow new RangeError('bad config');\n",
    });
    const err = await failure(loader.update([app.path('leaf.ts')]));
    expect(err.code).toBe('HS_ERR_LOADER_EVALUATE');
    expect(err.message).toContain('RangeError: bad config');
    expect(err.location).toEqual({ file: app.path('leaf.ts'), line: 3, column: 7 });
    expect((err.cause as Error).name).toBe('RangeError');
    await expectRecovery(main);
  });

  it('a rejected top-level await', async () => {
    const main = await start();
    app.write({
      'leaf.ts': "export const value: number = await Promise.reject(new Error('db down'));\n",
    });
    const err = await failure(loader.update([app.path('leaf.ts')]));
    expect(err.code).toBe('HS_ERR_LOADER_EVALUATE');
    expect(err.message).toContain('db down');
    expect(err.location?.file).toBe(app.path('leaf.ts'));
    await expectRecovery(main);
  });

  it('a link error: importing a name that does not exist', async () => {
    const main = await start();
    app.write({
      'other.ts': 'export const nothing = 0;\n',
      'leaf.ts': "import { missing } from './other.ts';\nexport const value: number = missing;\n",
    });
    const err = await failure(loader.update([app.path('leaf.ts')]));
    expect(err.code).toBe('HS_ERR_LOADER_LINK');
    expect(err.location).toEqual({ file: app.path('leaf.ts'), line: 1, column: 10 });
    await expectRecovery(main);
  });

  it('a removed export that a kept importer still uses', async () => {
    const main = await start();
    app.write({ 'leaf.ts': 'export const renamed: number = 2;\nimport.meta.hot?.accept();\n' });
    const err = await failure(loader.update([app.path('leaf.ts')]));
    expect(err.code).toBe('HS_ERR_LOADER_LINK');
    expect(err.location?.file).toBe(app.path('main.ts'));
    await expectRecovery(main);
  });

  it('a deleted file: its importers fail to resolve it and the last good version stays', async () => {
    setup({
      'helper.ts': "export const h = 'h1';\n",
      'leaf.ts':
        "import { h } from './helper.ts';\nexport const value = h;\nimport.meta.hot?.accept();\n",
      'main.ts': "import { value } from './leaf.ts';\nexport const read = () => value;\n",
    });
    const main = await loader.import<Ns>('./main.ts');
    app.remove('helper.ts');
    const err = await failure(loader.update([app.path('helper.ts')]));
    expect(err.code).toBe('HS_ERR_LOADER_RESOLVE');
    expect(err.location).toEqual({ file: app.path('leaf.ts'), line: 1, column: 19 });
    expect(main.read()).toBe('h1');
    app.write({ 'helper.ts': "export const h = 'h2';\n" });
    await loader.update([app.path('helper.ts')]);
    expect(main.read()).toBe('h2');
  });

  it('a missing import that a later new file satisfies (the failed update is retried)', async () => {
    const main = await start();
    app.write({
      'leaf.ts':
        "import { extra } from './extra.ts';\nexport const value: number = extra;\nimport.meta.hot?.accept();\n",
    });
    const err = await failure(loader.update([app.path('leaf.ts')]));
    expect(err.code).toBe('HS_ERR_LOADER_RESOLVE');
    app.write({ 'extra.ts': 'export const extra = 7;\n' });
    const update = await loader.update([app.path('extra.ts')]);
    expect(update.added).toEqual([app.path('extra.ts')]);
    expect(main.read()).toBe(7);
  });

  it('a failed version is torn down: what it started is stopped, the live version untouched', async () => {
    const main = await start();
    app.write({
      'leaf.ts':
        "import.meta.hot!.scope.setInterval(() => {}, 1000);\nimport.meta.hot!.dispose(() => { (globalThis.__events ??= []).push('failed-version-disposed'); });\nexport const value: number = 2;\nthrow new Error('late');\n",
    });
    await failure(loader.update([app.path('leaf.ts')]));
    expect(events()).toEqual(['failed-version-disposed']);
    expect(main.read()).toBe(1);
  });
});

describe('transactions', () => {
  it('prepareUpdate changes nothing until commit; rollback restores the previous version exactly', async () => {
    setup({
      'leaf.ts': 'export const v = 1;\nimport.meta.hot?.accept();\n',
      'main.ts': "import { v } from './leaf.ts';\nexport const read = () => v;\n",
    });
    const main = await loader.import<Ns>('./main.ts');
    app.write({ 'leaf.ts': 'export const v = 2;\nimport.meta.hot?.accept();\n' });
    const update = await loader.prepareUpdate([app.path('leaf.ts')]);
    expect(main.read()).toBe(1);
    expect(update.namespace(app.path('leaf.ts'))?.v).toBe(2);
    update.commit();
    expect(main.read()).toBe(2);
    await update.rollback();
    expect(main.read()).toBe(1);
    expect(loader.generation(app.path('leaf.ts'))).toBe(1);
    // The rolled-back change is still on disk, so the next update applies it again.
    const again = await loader.update([app.path('leaf.ts')]);
    expect(again.outcome).toBe('updated');
    expect(main.read()).toBe(2);
  });

  it('holds the loader while a prepared update is pending: a second update waits for it', async () => {
    setup({ 'a.ts': 'export const a = 1;\nimport.meta.hot?.accept();\n' });
    await loader.import('./a.ts');
    app.write({ 'a.ts': 'export const a = 2;\nimport.meta.hot?.accept();\n' });
    const first = await loader.prepareUpdate([app.path('a.ts')]);
    const order: string[] = [];
    const second = loader.update([app.path('a.ts')]).then((u) => order.push(`second:${u.outcome}`));
    await Promise.resolve();
    order.push('first-commit');
    first.commit();
    await first.finalize();
    await second;
    expect(order).toEqual(['first-commit', 'second:unchanged']);
  });
});
