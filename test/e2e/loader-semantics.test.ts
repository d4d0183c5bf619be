/**
 * ES module semantics through the hot loader, on real files: what an app written for native ESM
 * relies on must hold when the same files run hot.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isHotswapError } from '../../src/errors.js';
import { createLoader, type Loader } from '../../src/loader/loader.js';
import { type AppDir, createAppDir } from '../helpers/app-dir.js';

let app: AppDir;
let loader: Loader;

function setup(files: Record<string, string>): void {
  app = createAppDir(files);
  loader = createLoader({ root: app.root });
}

afterEach(async () => {
  await loader?.close();
  app?.cleanup();
});

// biome-ignore lint/suspicious/noExplicitAny: namespaces of fixture modules are untyped.
type Ns = Record<string, any>;

describe('loader semantics', () => {
  it('keeps live bindings: an importer sees a mutated export', async () => {
    setup({
      'counter.ts':
        'export let count: number = 0;\nexport function increment(): void { count++; }\n',
      'main.ts':
        "import { count, increment } from './counter.ts';\nexport function bump(): number { increment(); increment(); return count; }\n",
    });
    const main = await loader.import<Ns>('./main.ts');
    expect(main.bump()).toBe(2);
    expect(main.bump()).toBe(4);
  });

  it('handles circular imports: hoisted functions work early, let bindings are in their TDZ', async () => {
    setup({
      'a.ts':
        "import { fromB, early } from './b.ts';\nexport function hoisted(): string { return 'a'; }\nexport let late: string = 'late';\nexport const seen = fromB + early;\n",
      'b.ts':
        "import { hoisted, late } from './a.ts';\nexport const fromB: string = hoisted() + 'b';\nlet tdz = 'none';\ntry { void late; } catch (e) { tdz = (e as Error).name; }\nexport const early: string = tdz;\n",
    });
    const a = await loader.import<Ns>('./a.ts');
    expect(a.seen).toBe('abReferenceError');
  });

  it('supports top-level await, in order', async () => {
    setup({
      'config.ts': 'export const port: number = await Promise.resolve(8080);\n',
      'main.ts':
        "import { port } from './config.ts';\nexport const url = `http://127.0.0.1:${port}`;\n",
    });
    const main = await loader.import<Ns>('./main.ts');
    expect(main.url).toBe('http://127.0.0.1:8080');
  });

  it('re-exports: export *, export * as, export { x as y } from, default + named', async () => {
    setup({
      'parts/one.ts': "export const one = 1;\nexport default 'one-default';\n",
      'parts/two.ts':
        'export const two = 2;\nexport function twice(n: number): number { return n * 2; }\n',
      'parts/index.ts':
        "export * from './one.ts';\nexport * from './two.ts';\nexport * as twoNs from './two.ts';\nexport { default as oneDefault, one as uno } from './one.ts';\n",
      'main.ts':
        "import Default, { named } from './lib.ts';\nimport * as parts from './parts/index.ts';\nexport const result = [Default(), named, parts.one, parts.two, parts.twoNs.twice(parts.uno), parts.oneDefault, 'default' in parts];\n",
      'lib.ts': "export default function () { return 'def'; }\nexport const named = 'named';\n",
    });
    const main = await loader.import<Ns>('./main.ts');
    expect(main.result).toEqual(['def', 'named', 1, 2, 2, 'one-default', false]);
    const lib = await loader.import<Ns>('./lib.ts');
    expect((lib.default as () => string).name).toBe('default');
  });

  it('gives namespace objects ESM shape: sorted keys, Module tag, not extensible', async () => {
    setup({ 'm.ts': 'export const b = 1;\nexport const a = 2;\n' });
    const ns = await loader.import<Ns>('./m.ts');
    expect(Object.keys(ns)).toEqual(['a', 'b']);
    expect(Object.prototype.toString.call(ns)).toBe('[object Module]');
    expect(Object.isExtensible(ns)).toBe(false);
    expect(() => {
      (ns as Record<string, unknown>).a = 3;
    }).toThrow(TypeError);
  });

  it('imports app files dynamically, as the same instance the static import gets', async () => {
    setup({
      'dep.ts': 'export class Thing {}\n',
      'main.ts':
        "import { Thing } from './dep.ts';\nexport async function load(name: string) { const m = await import(`./${name}.ts`); return m.Thing === Thing; }\n",
    });
    const main = await loader.import<Ns>('./main.ts');
    await expect(main.load('dep')).resolves.toBe(true);
    await expect(main.load('missing')).rejects.toSatisfy((err: unknown) =>
      isHotswapError(err, 'HS_ERR_LOADER_RESOLVE'),
    );
  });

  it('fills import.meta: url, filename, dirname, resolve', async () => {
    setup({
      'sub/meta.ts':
        "export const meta = { url: import.meta.url, filename: import.meta.filename, dirname: import.meta.dirname, sibling: import.meta.resolve('./other.ts'), hot: typeof import.meta.hot };\n",
      'sub/other.ts': 'export {};\n',
    });
    const { meta } = await loader.import<{ meta: Record<string, string> }>('./sub/meta.ts');
    expect(meta).toEqual({
      url: `file://${app.path('sub/meta.ts')}`,
      filename: app.path('sub/meta.ts'),
      dirname: app.path('sub'),
      sibling: `file://${app.path('sub/other.ts')}`,
      hot: 'object',
    });
  });

  it('loads packages and builtins natively: the same instances a native import gets', async () => {
    setup({
      'main.ts':
        "import * as yaml from 'yaml';\nimport { EventEmitter } from 'node:events';\nexport { yaml, EventEmitter };\n",
    });
    const main = await loader.import<Ns>('./main.ts');
    const native = await import('yaml');
    const events = await import('node:events');
    expect(main.yaml.parse).toBe(native.parse);
    expect(main.EventEmitter).toBe(events.EventEmitter);
    expect(loader.has(app.path('main.ts'))).toBe(true);
    expect(loader.files().some((f) => f.includes('node_modules'))).toBe(false);
  });

  it('keeps the identity of classes in modules an update did not touch', async () => {
    setup({
      'model.ts': 'export class User {}\n',
      'view.ts':
        "import { User } from './model.ts';\nexport const label = 'v1';\nexport const make = () => new User();\nimport.meta.hot?.accept();\n",
      'main.ts':
        "import { User } from './model.ts';\nimport { make, label } from './view.ts';\nexport const check = () => [make() instanceof User, label];\n",
    });
    const main = await loader.import<Ns>('./main.ts');
    const model = loader.namespace(app.path('model.ts'))!;
    app.write({
      'view.ts':
        "import { User } from './model.ts';\nexport const label = 'v2';\nexport const make = () => new User();\nimport.meta.hot?.accept();\n",
    });
    await loader.update([app.path('view.ts')]);
    expect(main.check()).toEqual([true, 'v2']);
    expect(loader.namespace(app.path('model.ts'))).toBe(model);
  });

  it('reports importing a missing name as a link error, with file, line, column and frame', async () => {
    setup({
      'lib.js': 'export const present = 1;\n',
      'main.js':
        "\nimport { present, absent } from './lib.js';\nexport const x = present + absent;\n",
    });
    const err = await loader.import('./main.js').catch((e: unknown) => e);
    expect(isHotswapError(err, 'HS_ERR_LOADER_LINK')).toBe(true);
    if (!isHotswapError(err)) return;
    expect(err.location).toEqual({ file: app.path('main.js'), line: 2, column: 19 });
    expect(err.message).toContain("does not provide an export named 'absent'");
    expect(err.frame).toContain('> 2 |');
    expect(loader.size).toBe(0);
  });

  it('rejects importing a name that two export * sources provide differently', async () => {
    setup({
      'x.js': 'export const dup = 1;\n',
      'y.js': 'export const dup = 2;\n',
      'both.js': "export * from './x.js';\nexport * from './y.js';\n",
      'ok.js': "import * as both from './both.js';\nexport const has = 'dup' in both;\n",
      'bad.js': "import { dup } from './both.js';\nexport default dup;\n",
    });
    const ok = await loader.import<Ns>('./ok.js');
    expect(ok.has).toBe(false);
    await expect(loader.import('./bad.js')).rejects.toSatisfy((e: unknown) =>
      isHotswapError(e, 'HS_ERR_LOADER_LINK'),
    );
  });

  it('imports JSON files as their default export', async () => {
    setup({
      'data.json': '{"name":"hotswap","list":[1,2]}',
      'main.ts':
        "import data from './data.json' with { type: 'json' };\nexport const name: string = data.name;\n",
    });
    const main = await loader.import<Ns>('./main.ts');
    expect(main.name).toBe('hotswap');
  });

  it('resolves what TypeScript users write: ./x.js to x.ts, extensionless, index files', async () => {
    setup({
      'a.ts': 'export const a = 1;\n',
      'dir/index.ts': 'export const d = 2;\n',
      'b.ts': 'export const b = 3;\n',
      'main.ts':
        "import { a } from './a.js';\nimport { d } from './dir';\nimport { b } from './b';\nexport const sum = a + d + b;\n",
    });
    const main = await loader.import<Ns>('./main.ts');
    expect(main.sum).toBe(6);
  });

  it('points stack traces at the original .ts file, line and column', async () => {
    setup({
      'boom.ts':
        "type Shape = { kind: 'a' } | { kind: 'b' };\ninterface Unused { x: number }\n\nexport function explode(shape: Shape): never {\n  const label: string = shape.kind;\n  throw new Error(`boom ${label}`);\n}\n",
    });
    const { explode } = await loader.import<Ns>('./boom.ts');
    let stack = '';
    try {
      explode({ kind: 'a' });
    } catch (err) {
      stack = (err as Error).stack ?? '';
    }
    expect(stack).toContain(`${app.path('boom.ts')}:6:9`);
    expect(stack).not.toContain('?v=');
  });

  it('follows the app tsconfig: verbatimModuleSyntax keeps value imports, so a missing name is a link error', async () => {
    setup({
      'tsconfig.json':
        '{ "compilerOptions": { "verbatimModuleSyntax": true } /* comments allowed */ }\n',
      'lib.ts': 'export const present = 1;\n',
      'main.ts': "import { absent } from './lib.ts';\nexport const x = 1;\n",
    });
    await expect(loader.import('./main.ts')).rejects.toSatisfy((e: unknown) =>
      isHotswapError(e, 'HS_ERR_LOADER_LINK'),
    );
  });

  it('elides unused imports like tsc does when the tsconfig does not say otherwise', async () => {
    setup({
      'lib.ts': 'export const present = 1;\n',
      'main.ts': "import { absent } from './lib.ts';\nexport const x = 1;\n",
    });
    const main = await loader.import<Ns>('./main.ts');
    expect(main.x).toBe(1);
  });

  it('runs legacy decorators when the tsconfig enables experimentalDecorators', async () => {
    setup({
      'tsconfig.json': '{ "compilerOptions": { "experimentalDecorators": true } }\n',
      'main.ts':
        'const seen: string[] = [];\nfunction log(_t: object, key: string) { seen.push(key); }\nclass Service { @log run() {} }\nexport const decorated = seen;\nexport { Service };\n',
    });
    const main = await loader.import<Ns>('./main.ts');
    expect(main.decorated).toEqual(['run']);
  });
});
