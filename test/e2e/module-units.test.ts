/**
 * Module units inside a real runtime: app files loaded through the code unit, swapped at commit
 * through handles and delegates, state carried and migrated, failures changing nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/index.js';
import { createCodeUnit } from '../../src/units/code.js';
import { createModuleUnit, hotModule } from '../../src/units/module.js';
import { type AppDir, createAppDir } from '../helpers/app-dir.js';
import { trackRetirements } from '../helpers/retirements.js';

let app: AppDir;
let runtime: Runtime;

afterEach(async () => {
  await runtime?.close();
  app?.cleanup();
});

function setup(files: Record<string, string>): void {
  app = createAppDir(files);
  runtime = createRuntime({ logger: false });
}

const routes = (version: string): string => `import { greeting } from './words.ts';
const data = import.meta.hot!.data as { hits?: number };
export function handle(name: string): string {
  data.hits = (data.hits ?? 0) + 1;
  return \`${version} \${greeting} \${name} #\${data.hits}\`;
}
`;

describe('module units', () => {
  it('loads a module in the first reload and swaps it through its handle and delegates', async () => {
    setup({ 'routes.ts': routes('v1'), 'words.ts': "export const greeting = 'hello';\n" });
    const handle = hotModule<{ handle(name: string): string }, 'handle'>(runtime, {
      name: 'routes',
      file: 'routes.ts',
      root: app.root,
      delegates: ['handle'],
    });
    const unit = runtime.get('routes') as unknown as {
      delegates: { handle(name: string): string };
    };
    const first = await runtime.reload();
    expect(first.ok).toBe(true);
    expect(first.units.map((u) => [u.name, u.outcome])).toEqual([
      ['code', 'added'],
      ['routes', 'added'],
    ]);
    const call = unit.delegates.handle;
    expect(call('ann')).toBe('v1 hello ann #1');

    app.write({ 'routes.ts': routes('v2') });
    const second = await runtime.reload({ changedFiles: [app.path('routes.ts')] });
    expect(second.ok).toBe(true);
    expect(second.units.find((u) => u.name === 'routes')?.outcome).toBe('refreshed');
    // The same delegate (held by long-lived code) now reaches v2; hot.data kept the count.
    expect(call('bob')).toBe('v2 hello bob #2');
    expect(handle.generation).toBe(2);
  });

  it('refreshes the module when a file it imports changes', async () => {
    setup({ 'routes.ts': routes('v1'), 'words.ts': "export const greeting = 'hello';\n" });
    const handle = hotModule<{ handle(name: string): string }>(runtime, {
      name: 'routes',
      file: 'routes.ts',
      root: app.root,
    });
    await runtime.reload();
    app.write({ 'words.ts': "export const greeting = 'hi';\n" });
    const report = await runtime.reload({ changedFiles: [app.path('words.ts')] });
    expect(report.units.find((u) => u.name === 'routes')?.outcome).toBe('refreshed');
    expect(handle.current.handle('cy')).toBe('v1 hi cy #1');
  });

  it('migrates named state into the new version, and a throwing migrate keeps the old version and its state', async () => {
    setup({
      'counter.ts':
        "const data = import.meta.hot!.data as { count?: number };\nexport const bump = (): number => (data.count = (data.count ?? 0) + 1);\nexport const shape = 'number';\n",
    });
    const code = runtime.add(createCodeUnit({ root: app.root }));
    let failMigrate = false;
    const counter = runtime.add(
      createModuleUnit<{ bump(): unknown; shape: string }>(code, {
        name: 'counter',
        file: 'counter.ts',
        state: ['count'],
        migrate: (state, info) => {
          if (failMigrate) throw new Error('cannot convert');
          return info.direction === 'upgrade' ? { count: { total: state.count } } : state;
        },
      }),
    );
    await runtime.reload();
    counter.handle.current.bump();
    counter.handle.current.bump();

    const v2 =
      "const data = import.meta.hot!.data as { count?: { total: number } };\nexport const bump = () => { data.count!.total++; return data.count; };\nexport const shape = 'object';\n";
    app.write({ 'counter.ts': v2 });
    failMigrate = true;
    const failed = await runtime.reload({ changedFiles: [app.path('counter.ts')] });
    expect(failed.ok).toBe(false);
    expect(failed.units.find((u) => u.name === 'counter')?.error?.code).toBe('HS_ERR_UNIT_MIGRATE');
    expect(counter.handle.current.shape).toBe('number');
    expect(counter.handle.current.bump()).toBe(3);

    failMigrate = false;
    const ok = await runtime.reload({ changedFiles: [app.path('counter.ts')] });
    expect(ok.ok).toBe(true);
    expect(counter.handle.current.shape).toBe('object');
    expect(counter.handle.current.bump()).toEqual({ total: 4 });
  });

  it('a broken file fails the whole reload and nothing changes; the next good save goes through', async () => {
    setup({ 'routes.ts': routes('v1'), 'words.ts': "export const greeting = 'hello';\n" });
    const handle = hotModule<{ handle(name: string): string }>(runtime, {
      name: 'routes',
      file: 'routes.ts',
      root: app.root,
    });
    await runtime.reload();
    app.write({ 'words.ts': 'export const greeting: string = ;\n' });
    const report = await runtime.reload({ changedFiles: [app.path('words.ts')] });
    expect(report.ok).toBe(false);
    expect(report.committed).toBe(false);
    const code = report.units.find((u) => u.name === 'code');
    expect(code?.outcome).toBe('failed');
    expect(code?.error?.location).toEqual({ file: app.path('words.ts'), line: 1, column: 33 });
    expect(report.summary).toContain('words.ts:1:33');
    expect(handle.current.handle('x')).toBe('v1 hello x #1');

    app.write({ 'words.ts': "export const greeting = 'hey';\n" });
    expect((await runtime.reload({ changedFiles: [app.path('words.ts')] })).ok).toBe(true);
    expect(handle.current.handle('x')).toBe('v1 hey x #2');
  });

  it('rolls a module back to its previous version', async () => {
    setup({ 'routes.ts': routes('v1'), 'words.ts': "export const greeting = 'hello';\n" });
    const handle = hotModule<{ handle(name: string): string }>(runtime, {
      name: 'routes',
      file: 'routes.ts',
      root: app.root,
    });
    await runtime.reload();
    app.write({ 'routes.ts': routes('v2') });
    await runtime.reload({ changedFiles: [app.path('routes.ts')] });
    app.write({ 'routes.ts': routes('v3') });
    await runtime.reload({ changedFiles: [app.path('routes.ts')] });
    expect(handle.current.handle('a')).toMatch(/^v3/);
    const back = await runtime.rollback('routes', 1);
    expect(back.ok).toBe(true);
    expect(handle.current.handle('a')).toMatch(/^v2/);
  });

  it("a rollback evaluates the earlier source again: the version's scope is running, the graph agrees", async () => {
    const version = (v: string): string =>
      [
        "import { greeting } from './words.ts';",
        'const signal = import.meta.hot!.scope.signal;',
        `export const say = (): string => '${v} ' + greeting;`,
        'export const alive = (): boolean => !signal.aborted;',
        '',
      ].join('\n');
    setup({
      'routes.ts': version('v1'),
      'words.ts': "export const greeting = 'hello';\n",
      'main.ts': "import { say } from './routes.ts';\nexport const viaImport = () => say();\n",
    });
    const code = runtime.add(createCodeUnit({ root: app.root }));
    const handle = hotModule<{ say(): string; alive(): boolean }>(runtime, {
      name: 'routes',
      file: 'routes.ts',
      root: app.root,
    });
    await runtime.reload();
    const main = (await code.loader.import(app.path('main.ts'))) as { viaImport(): string };
    const v1 = handle.current;
    app.write({ 'routes.ts': version('v2') });
    await runtime.reload({ changedFiles: [app.path('routes.ts')] });
    expect(v1.alive()).toBe(false);
    expect(main.viaImport()).toBe('v2 hello');

    const back = await runtime.rollback('routes', 1);
    expect(back.ok).toBe(true);
    expect(handle.current.say()).toBe('v1 hello');
    // A new evaluation of v1's source, not v1's ended exports; importers see it too.
    expect(handle.current).not.toBe(v1);
    expect(handle.current.alive()).toBe(true);
    expect(main.viaImport()).toBe('v1 hello');
    // The file on disk still says v2: the next reload that reads it brings v2 back.
    await runtime.reload({ changedFiles: [app.path('routes.ts')] });
    expect(handle.current.say()).toBe('v2 hello');
  });

  it('keeps in-flight work on the version it started on', async () => {
    setup({
      'job.ts':
        "export const version = 'v1';\nexport async function run(gate: Promise<void>): Promise<string> { await gate; return version; }\n",
    });
    const handle = hotModule<{ run(gate: Promise<void>): Promise<string>; version: string }>(
      runtime,
      {
        name: 'job',
        file: 'job.ts',
        root: app.root,
      },
    );
    await runtime.reload();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const inFlight = handle.withLease((job) => job.run(gate));
    app.write({
      'job.ts':
        "export const version = 'v2';\nexport async function run(): Promise<string> { return version; }\n",
    });
    await runtime.reload({ changedFiles: [app.path('job.ts')] });
    expect(handle.current.version).toBe('v2');
    open();
    await expect(inFlight).resolves.toBe('v1');
  });
  it("keeps the module's scope (its signal, its timers) until work in flight on it ends", async () => {
    const job = (version: string): string =>
      [
        'const hot = import.meta.hot!;',
        'const signal = hot.scope.signal;',
        `hot.dispose(() => (globalThis as any).__onJobDispose?.('${version}'));`,
        `export const version = '${version}';`,
        'export async function run(gate: Promise<void>): Promise<string> {',
        `  await gate; return signal.aborted ? 'aborted' : version;`,
        '}',
        '',
      ].join('\n');
    const track = trackRetirements('__onJobDispose');
    setup({ 'job.ts': job('v1') });
    const handle = hotModule<{ run(gate: Promise<void>): Promise<string>; version: string }>(
      runtime,
      { name: 'job', file: 'job.ts', root: app.root },
    );
    await runtime.reload();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const inFlight = handle.withLease((j) => j.run(gate));
    app.write({ 'job.ts': job('v2') });
    await runtime.reload({ changedFiles: [app.path('job.ts')] });
    expect(handle.current.version).toBe('v2');
    expect(track.retired).toEqual([]);
    open();
    await expect(inFlight).resolves.toBe('v1');
    await track.gone('v1');
    expect(track.retired).toEqual(['v1']);
    track.stop();
  });
});
