/**
 * Command tables inside a real runtime, on real files: folder discovery, per-module reports,
 * failures that keep the last good version, metadata isolation, name and bind conflicts, runtime
 * binds that survive reloads, removed modules' timers gone, in-flight commands on their version.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type ReloadReport, type Runtime } from '../../src/index.js';
import { createCodeUnit } from '../../src/units/code.js';
import {
  type CommandTableUnit,
  commandTable,
  createCommandTable,
  defineCommand,
} from '../../src/units/commands.js';
import { type AppDir, createAppDir } from '../helpers/app-dir.js';
import { buildOnce } from '../helpers/build-once.js';
import { trackRetirements } from '../helpers/retirements.js';

type Ctx = { args: string[] };
let app: AppDir;
let runtime: Runtime;
let table: CommandTableUnit<Ctx>;

beforeAll(() => buildOnce(['dist/index.js', 'dist/units/commands.js']), 120_000);

afterEach(async () => {
  await runtime?.close();
  app?.cleanup();
  delete (globalThis as Record<string, unknown>).__commandsTest;
});

/** A command module answering `text` to its binds. */
const cmd = (text: string, extra = ''): string =>
  `export default { ${extra}run: () => ${JSON.stringify(text)} };\n`;

function setup(files: Record<string, string>, options: { reserved?: string[] } = {}): void {
  app = createAppDir(files, 'hotswap-commands-');
  runtime = createRuntime({ logger: false });
  table = commandTable<Ctx>(runtime, {
    dir: 'commands',
    root: app.root,
    ...(options.reserved ? { reserved: options.reserved } : {}),
  });
}

const answer = (word: string): Promise<unknown> | undefined =>
  table.handle.current.lookup(word)?.run({ args: [] });

const parts = (report: ReloadReport): [string, string][] =>
  (report.units.find((u) => u.name === 'commands')?.parts ?? []).map((p) => [p.name, p.outcome]);

/** Records what command modules' scopes disposed (globalThis survives module versions). */
const disposed = (): string[] =>
  ((globalThis as Record<string, unknown>).__commandsTest as string[] | undefined) ?? [];

describe('discovery', () => {
  it('finds module files and subfolders with an index; helpers, tests and plain folders are not commands', async () => {
    setup({
      'commands/hello.ts': cmd('hi', "binds: ['hello', 'Hi'], help: 'greets', "),
      'commands/roll/index.ts':
        "import { sides } from './sides.ts';\nexport default { run: () => 'd' + sides };\n",
      'commands/roll/sides.ts': 'export const sides = 6;\n',
      'commands/_shared.ts': cmd('never'),
      'commands/hello.test.ts': cmd('never'),
      'commands/notes/readme.ts': cmd('never'),
    });
    const report = await runtime.reload();
    expect(report.ok).toBe(true);
    expect(parts(report)).toEqual([
      ['hello', 'added'],
      ['roll', 'added'],
    ]);
    expect(report.summary.split('\n')).toHaveLength(1);
    const current = table.handle.current;
    expect(current.list().map((c) => c.name)).toEqual(['hello', 'roll']);
    expect([...current.binds()]).toEqual([
      ['hello', 'hello'],
      ['hi', 'hello'],
      ['roll', 'roll'],
    ]);
    await expect(answer('HI')).resolves.toBe('hi');
    await expect(answer('roll')).resolves.toBe('d6');
    expect(answer('_shared')).toBeUndefined();
    expect(current.suggest('rol')).toEqual(['roll']);
  });

  it('reads named exports too, and never lets metadata leak from one module to another', async () => {
    setup({
      'commands/a.ts': cmd(
        'a',
        "help: 'help of a', usage: '<x>', channels: ['#a'], admin: true, meta: { cost: 2 }, ",
      ),
      'commands/b.ts': "export const binds = ['bee'];\nexport function run() { return 'b'; }\n",
      'commands/c.ts': "export default function () { return 'c'; }\n",
    });
    await runtime.reload();
    const [a, b, c] = ['a', 'b', 'c'].map((n) => table.handle.current.get(n)!);
    expect(a).toMatchObject({
      help: 'help of a',
      usage: '<x>',
      channels: ['#a'],
      admin: true,
      meta: { cost: 2 },
    });
    for (const other of [b, c]) {
      expect(other).toMatchObject({
        help: undefined,
        usage: undefined,
        channels: undefined,
        admin: false,
        meta: {},
      });
    }
    expect(b?.binds).toEqual(['bee']);
    await expect(c?.run({ args: [] })).resolves.toBe('c');
    expect(a?.allows('#A')).toBe(true);
    expect(a?.allows('#b')).toBe(false);
    expect(a?.allows(undefined)).toBe(false);
    expect(b?.allows('#b')).toBe(true);
  });

  it('fails the unit when a command folder is missing, naming it', async () => {
    app = createAppDir({}, 'hotswap-commands-');
    runtime = createRuntime({ logger: false });
    table = commandTable<Ctx>(runtime, { dir: 'nowhere', root: app.root });
    const report = await runtime.reload();
    expect(report.ok).toBe(false);
    expect(report.units.find((u) => u.name === 'commands')?.error?.code).toBe(
      'HS_ERR_COMMAND_FOLDER',
    );
  });

  it('refuses a folder outside the code unit root', () => {
    app = createAppDir({}, 'hotswap-commands-');
    runtime = createRuntime({ logger: false });
    const code = runtime.add(createCodeUnit({ root: app.root }));
    expect(() => createCommandTable(code, { dir: '/tmp' })).toThrow(/outside the app root/);
  });
});

describe('reloads', () => {
  it('reports refreshed, added and removed; a removed module is unbound and its timers and listeners end', async () => {
    const timed = (name: string, text: string): string =>
      `const scope = import.meta.hot!.scope;\nscope.setInterval(() => {}, 60_000);\nscope.defer(() => { (globalThis as any).__commandsTest ??= []; (globalThis as any).__commandsTest.push(${JSON.stringify(name)}); });\nexport default { run: () => ${JSON.stringify(text)} };\n`;
    setup({
      'commands/keep.ts': timed('keep@1', 'keep 1'),
      'commands/gone.ts': timed('gone@1', 'gone'),
    });
    await runtime.reload();
    const first = table.handle.generation;

    app.write({
      'commands/keep.ts': timed('keep@2', 'keep 2'),
      'commands/new/index.ts': cmd('new'),
    });
    app.remove('commands/gone.ts');
    const report = await runtime.reload();
    expect(report.ok).toBe(true);
    expect(parts(report).sort()).toEqual([
      ['gone', 'removed'],
      ['keep', 'refreshed'],
      ['new', 'added'],
    ]);
    expect(report.summary.split('\n')).toHaveLength(1);
    expect(table.handle.generation).toBeGreaterThan(first);
    await expect(answer('keep')).resolves.toBe('keep 2');
    await expect(answer('new')).resolves.toBe('new');
    expect(answer('gone')).toBeUndefined();
    // The removed module's version scope ended (its interval with it), as did keep's first version.
    expect(disposed().sort()).toEqual(['gone@1', 'keep@1']);
    expect(runtime.get('code').status().details?.modules).toBe(2);

    // Nothing changed: nothing to report.
    const again = await runtime.reload();
    expect(again.units.find((u) => u.name === 'commands')?.outcome).toBe('unchanged');
  });

  it('keeps the last good version of modules that fail (syntax, throwing body, bad shape) and reloads the others', async () => {
    setup({
      'commands/syntax.ts': cmd('syntax 1'),
      'commands/throws.ts': cmd('throws 1'),
      'commands/shape.ts': cmd('shape 1'),
      'commands/typed.ts':
        "import { defineCommand } from 'hotswap';\nexport default defineCommand({ run: () => 'typed 1' });\n",
      'commands/fine.ts': cmd('fine 1'),
    });
    await runtime.reload();
    app.write({
      'commands/syntax.ts': "export default {\n  run: () => 'syntax 2',,\n};\n",
      'commands/throws.ts':
        "const x = 1;\nthrow new Error('broken body');\nexport default { run: () => 'throws 2' };\n",
      'commands/shape.ts':
        "const help = 'x';\nexport default {\n  help,\n  rnu: () => 'shape 2',\n};\n",
      'commands/typed.ts':
        "import { defineCommand } from 'hotswap';\n\nexport default defineCommand({ binds: 'typed', run: () => 'typed 2' } as never);\n",
      'commands/fine.ts': cmd('fine 2'),
    });
    const report = await runtime.reload();
    expect(report.committed).toBe(true);
    expect(report.ok).toBe(false);
    expect(parts(report).sort()).toEqual([
      ['fine', 'refreshed'],
      ['shape', 'failed'],
      ['syntax', 'failed'],
      ['throws', 'failed'],
      ['typed', 'failed'],
    ]);
    const failed = report.units.find((u) => u.name === 'commands')?.parts ?? [];
    const where = (name: string) => {
      const error = failed.find((p) => p.name === name)?.error;
      return [error?.code, error?.location?.file, error?.location?.line];
    };
    expect(where('syntax')).toEqual(['HS_ERR_LOADER_SYNTAX', app.path('commands/syntax.ts'), 2]);
    expect(where('throws')).toEqual(['HS_ERR_LOADER_EVALUATE', app.path('commands/throws.ts'), 2]);
    expect(where('shape')).toEqual(['HS_ERR_COMMAND_SHAPE', app.path('commands/shape.ts'), 4]);
    expect(where('typed')).toEqual(['HS_ERR_COMMAND_SHAPE', app.path('commands/typed.ts'), 3]);
    // One headline and one bullet per failure, each on its line, with file:line.
    const lines = report.summary.split('\n');
    expect(lines).toHaveLength(5);
    expect(lines.slice(1).every((l) => /^- commands\/\w+: HS_ERR_\w+ .*\.ts:\d+\)$/.test(l))).toBe(
      true,
    );
    expect(failed.find((p) => p.name === 'shape')?.error?.hint).toContain('did you mean `run`');
    expect(report.summary).toContain('commands/shape: HS_ERR_COMMAND_SHAPE unknown key `rnu`');
    await expect(answer('syntax')).resolves.toBe('syntax 1');
    await expect(answer('throws')).resolves.toBe('throws 1');
    await expect(answer('shape')).resolves.toBe('shape 1');
    await expect(answer('typed')).resolves.toBe('typed 1');
    await expect(answer('fine')).resolves.toBe('fine 2');
    expect(
      table
        .failures()
        .map((f) => [f.name, f.kept])
        .sort(),
    ).toEqual([
      ['shape', true],
      ['syntax', true],
      ['throws', true],
      ['typed', true],
    ]);

    // Fixed on disk: the next reload takes them, and the failures are cleared.
    app.write({
      'commands/syntax.ts': cmd('syntax 3'),
      'commands/throws.ts': cmd('throws 3'),
      'commands/shape.ts': cmd('shape 3'),
      'commands/typed.ts': cmd('typed 3'),
    });
    const fixed = await runtime.reload();
    expect(fixed.ok).toBe(true);
    await expect(answer('throws')).resolves.toBe('throws 3');
    expect(table.failures()).toEqual([]);
  });

  it('a module that fails on its first load is reported and absent; the others load', async () => {
    setup({ 'commands/ok.ts': cmd('ok'), 'commands/bad.ts': 'export default {;\n' });
    const report = await runtime.reload();
    expect(parts(report).sort()).toEqual([
      ['bad', 'failed'],
      ['ok', 'added'],
    ]);
    expect(answer('bad')).toBeUndefined();
    await expect(answer('ok')).resolves.toBe('ok');
    expect(table.failures()).toMatchObject([{ name: 'bad', kept: false }]);
    // Deleting the broken file ends its failure: it is no longer a command.
    app.remove('commands/bad.ts');
    const after = await runtime.reload();
    expect(after.ok).toBe(true);
    expect(table.failures()).toEqual([]);
  });

  it('a shape error thrown by defineCommand keeps the whole last good version, timers included', async () => {
    const typed = (text: string, binds: string) =>
      `import { defineCommand } from 'hotswap';\nimport.meta.hot!.scope.defer(() => { ((globalThis as any).__commandsTest ??= []).push(${JSON.stringify(text)}); });\nexport default defineCommand({ binds: ${binds}, run: () => ${JSON.stringify(text)} } as never);\n`;
    setup({ 'commands/t.ts': typed('t1', "['t']") });
    await runtime.reload();
    app.write({ 'commands/t.ts': typed('t2', "'t'") });
    const report = await runtime.reload();
    expect(parts(report)).toEqual([['t', 'failed']]);
    await expect(answer('t')).resolves.toBe('t1');
    // Only the refused version's own scope ended; the live version's is untouched.
    expect(disposed()).toEqual(['t2']);
  });
});

describe('conflicts', () => {
  it('reports two modules whose names differ only by case instead of shadowing one', async () => {
    setup({ 'commands/hello.ts': cmd('lower') });
    await runtime.reload();
    app.write({ 'commands/Hello.ts': cmd('upper', "binds: ['hey'], ") });
    const report = await runtime.reload();
    expect(parts(report)).toEqual([['Hello', 'failed']]);
    const error = report.units.find((u) => u.name === 'commands')?.parts?.[0]?.error;
    expect(error?.code).toBe('HS_ERR_COMMAND_CONFLICT');
    expect(error?.message).toContain('hello (commands/hello.ts)');
    await expect(answer('hello')).resolves.toBe('lower');
    expect(answer('hey')).toBeUndefined();
  });

  it('refuses both when neither was loaded before', async () => {
    setup({ 'commands/ping.ts': cmd('a'), 'commands/PING.ts': cmd('b') });
    const report = await runtime.reload();
    expect(parts(report).sort()).toEqual([
      ['PING', 'failed'],
      ['ping', 'failed'],
    ]);
    expect(table.handle.current.size).toBe(0);
  });

  it('refuses a new version that binds a word another module holds, keeping its old version', async () => {
    setup({
      'commands/a.ts': cmd('a', "binds: ['x'], "),
      'commands/b.ts': cmd('b 1', "binds: ['y'], "),
    });
    await runtime.reload();
    app.write({
      'commands/b.ts': cmd('b 2', "binds: ['y', 'X'], "),
      'commands/c.ts': cmd('c', "binds: ['x'], "),
    });
    const report = await runtime.reload();
    expect(parts(report).sort()).toEqual([
      ['b', 'failed'],
      ['c', 'failed'],
    ]);
    const error = report.units.find((u) => u.name === 'commands')?.parts?.[0]?.error;
    expect(error?.code).toBe('HS_ERR_COMMAND_CONFLICT');
    expect(error?.message).toMatch(/bind `x` is already taken by a \(commands\/a\.ts\)/);
    expect(error?.location?.line).toBe(1);
    await expect(answer('x')).resolves.toBe('a');
    await expect(answer('y')).resolves.toBe('b 1');

    // A moves off `x` in the same reload as B takes it: no clash.
    app.write({ 'commands/a.ts': cmd('a', "binds: ['z'], ") });
    app.remove('commands/c.ts');
    const swapped = await runtime.reload();
    expect(swapped.ok).toBe(true);
    await expect(answer('x')).resolves.toBe('b 2');
  });

  it('refuses reserved words', async () => {
    setup({ 'commands/reload.ts': cmd('mine') }, { reserved: ['Reload'] });
    const report = await runtime.reload();
    expect(parts(report)).toEqual([['reload', 'failed']]);
    expect(report.summary).toContain('a reserved word');
  });
});

describe('runtime binds and channel limits', () => {
  it('survive reloads, and end with the command they belong to', async () => {
    setup({
      'commands/hello.ts': cmd('hello 1', "binds: ['hello', 'greet'], "),
      'commands/other.ts': cmd('other'),
    });
    await runtime.reload();
    expect(table.bind('hi', 'hello').binds).toEqual(['hello', 'greet', 'hi']);
    expect(table.unbind('greet')).toBe(true);
    expect(table.unbind('nothing')).toBe(false);
    table.setChannels('hello', ['#one']);
    expect(() => table.bind('other', 'hello')).toThrow(/bound to other/);
    expect(() => table.bind('x', 'nope')).toThrow(/no command nope/);
    expect(() => table.bind('two words', 'hello')).toThrow(/one word/);
    await expect(answer('hi')).resolves.toBe('hello 1');
    expect(answer('greet')).toBeUndefined();

    app.write({
      'commands/hello.ts': cmd('hello 2', "binds: ['hello', 'greet'], channels: ['#two'], "),
    });
    const report = await runtime.reload();
    expect(parts(report)).toEqual([['hello', 'refreshed']]);
    const hello = table.handle.current.get('hello');
    expect(hello?.binds).toEqual(['hello', 'hi']);
    expect(hello?.channels).toEqual(['#one']);
    await expect(answer('hi')).resolves.toBe('hello 2');
    expect(table.overrides()).toEqual({
      binds: { hi: 'hello' },
      unbound: ['greet'],
      channels: { hello: ['#one'] },
    });

    table.setChannels('hello', undefined);
    expect(table.handle.current.get('hello')?.channels).toEqual(['#two']);
    table.setChannels('hello', null);
    expect(table.handle.current.get('hello')?.allows('#any')).toBe(true);

    app.remove('commands/hello.ts');
    await runtime.reload();
    expect(answer('hi')).toBeUndefined();
    expect(table.overrides()).toEqual({ binds: {}, unbound: ['greet'], channels: {} });
  });

  it('start from saved overrides', async () => {
    app = createAppDir({ 'commands/hello.ts': cmd('hello') }, 'hotswap-commands-');
    runtime = createRuntime({ logger: false });
    const code = runtime.add(createCodeUnit({ root: app.root }));
    table = runtime.add(
      createCommandTable<Ctx>(code, {
        dir: app.path('commands'),
        overrides: { binds: { Yo: 'hello' }, unbound: ['hello'] },
      }),
    );
    await runtime.reload();
    expect([...table.handle.current.binds()]).toEqual([['yo', 'hello']]);
  });
});

describe('versions', () => {
  it('swaps the table atomically; a command in flight finishes on the version it started on', async () => {
    const gated = (text: string) =>
      `export default { async run(ctx: { gate: Promise<void> }) { await ctx.gate; return ${JSON.stringify(text)}; } };\n`;
    setup({ 'commands/slow.ts': gated('v1') });
    await runtime.reload();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const before = table.handle.current;
    const inFlight = table.handle.withLease((t) => t.lookup('slow')!.run({ gate } as never));
    app.write({ 'commands/slow.ts': gated('v2') });
    await runtime.reload();
    expect(table.handle.current).not.toBe(before);
    expect(table.handle.versions().map((v) => v.state)).toEqual(['retiring', 'live']);
    const now = { gate: Promise.resolve() };
    await expect(table.handle.current.lookup('slow')!.run(now as never)).resolves.toBe('v2');
    open();
    await expect(inFlight).resolves.toBe('v1');
    expect(table.handle.versions().map((v) => v.state)).toEqual(['live']);
  });

  it('keeps the module versions a command in flight runs on until it finishes', async () => {
    // The module's scope signal and dispose callback tell whether its version was retired.
    const gated = (text: string) =>
      [
        'const hot = import.meta.hot!;',
        'const signal = hot.scope.signal;',
        `hot.dispose(() => (globalThis as any).__onCommandDispose?.(${JSON.stringify(text)}));`,
        'export default { async run(ctx: { gate: Promise<void> }) {',
        `  await ctx.gate; return signal.aborted ? 'aborted' : ${JSON.stringify(text)};`,
        '} };',
        '',
      ].join('\n');
    const track = trackRetirements('__onCommandDispose');
    setup({ 'commands/slow.ts': gated('v1') });
    await runtime.reload();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const inFlight = table.handle.withLease((t) => t.lookup('slow')!.run({ gate } as never));
    app.write({ 'commands/slow.ts': gated('v2') });
    await runtime.reload();
    // v2 serves new calls while v1's module version keeps running for the call in flight.
    await expect(
      table.handle.current.lookup('slow')!.run({ gate: Promise.resolve() } as never),
    ).resolves.toBe('v2');
    expect(track.retired).toEqual([]);
    open();
    await expect(inFlight).resolves.toBe('v1');
    await track.gone('v1');
    expect(track.retired).toEqual(['v1']);
    track.stop();
  });

  it('reports its status', async () => {
    setup({ 'commands/a.ts': cmd('a'), 'commands/b.ts': 'nope(\n' });
    await runtime.reload();
    const status = runtime.status().units.find((u) => u.name === 'commands');
    expect(status).toMatchObject({ kind: 'commands', state: 'active', generation: 1 });
    expect(status?.details).toMatchObject({ commands: 1, binds: 1, failed: ['b'] });
  });
});

describe('defineCommand', () => {
  it('returns its argument and throws HS_ERR_COMMAND_SHAPE for a bad one', () => {
    const def = { binds: ['x'], run: () => 1 };
    expect(defineCommand(def)).toBe(def);
    expect(() => defineCommand({ run: 'no' } as never)).toThrow(/`run` must be a function/);
    expect(() => defineCommand({ run() {}, binds: ['a b'] })).toThrow(/has spaces/);
  });
});
