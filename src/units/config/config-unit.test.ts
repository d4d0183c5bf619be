import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { isHotswapError } from '../../errors.js';
import { createConfig } from './config-unit.js';
import { configIssues } from './validate.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hs-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});
const write = (name: string, text: string) => writeFileSync(join(dir, name), text);

async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: Error) => err,
  );
}

const schema = z.object({
  llm: z.object({ model: z.string(), temperature: z.number().min(0).max(2) }),
  irc: z.object({ host: z.string(), nick: z.string(), channels: z.array(z.string()).default([]) }),
});
const yaml = (
  model: string,
  temperature: number | string = 0.5,
  host = 'irc.example',
  nick = 'bot',
) =>
  `llm:\n  model: ${model}\n  temperature: ${temperature}\nirc:\n  host: ${host}\n  nick: ${nick}\n`;

describe('config: load', () => {
  it('loads a typed, deeply frozen config', async () => {
    write('config.yaml', yaml('v0'));
    const config = createConfig({ files: ['config.yaml'], cwd: dir, env: false, schema });
    expect(() => config.current).toThrow(
      expect.objectContaining({ code: 'HS_ERR_CONFIG_NOT_LOADED' }),
    );
    const report = await config.load();
    expect(report).toMatchObject({ outcome: 'added', generation: 1, files: ['config.yaml'] });
    expect(config.current).toEqual({
      llm: { model: 'v0', temperature: 0.5 },
      irc: { host: 'irc.example', nick: 'bot', channels: [] },
    });
    expect(config.get('llm.model')).toBe('v0');
    expect(Object.isFrozen(config.current.irc.channels)).toBe(true);
    expect(() => {
      (config.current.llm as { model: string }).model = 'x';
    }).toThrow(TypeError);
    expectTypeOf(config.current.llm.temperature).toEqualTypeOf<number>();
    expectTypeOf(config.get('irc.channels')).toEqualTypeOf<readonly string[]>();
    // @ts-expect-error not a key of the schema
    config.get('llm.nope');
  });

  it.each([
    [
      'config.yaml',
      'llm:\n  model: m\n  temperature: 1\nirc: { host: h, nick: n, channels: [a] }\n',
    ],
    [
      'config.json',
      '{"llm": {"model": "m", "temperature": 1}, "irc": {"host": "h", "nick": "n", "channels": ["a"]}}',
    ],
    [
      'config.jsonc',
      '{\n  // comment\n  "llm": {"model": "m", "temperature": 1,},\n  "irc": {"host": "h", "nick": "n", "channels": ["a"]},\n}',
    ],
    [
      'config.json5',
      "{ llm: { model: 'm', temperature: 1 }, irc: { host: 'h', nick: 'n', channels: ['a'] } }",
    ],
    [
      'config.toml',
      'irc = { host = "h", nick = "n", channels = ["a"] }\n[llm]\nmodel = "m"\ntemperature = 1\n',
    ],
    ['.env', 'LLM__MODEL=m\nLLM__TEMPERATURE=1\nIRC__HOST=h\nIRC__NICK=n\nIRC__CHANNELS=["a"]\n'],
  ])('reads %s', async (file, text) => {
    write(file, text);
    const config = createConfig({ files: [file], cwd: dir, env: false, schema });
    await config.load();
    expect(config.current).toEqual({
      llm: { model: 'm', temperature: 1 },
      irc: { host: 'h', nick: 'n', channels: ['a'] },
    });
  });

  it('layers base < <env> < local < environment variables < overrides; objects merge, arrays replace', async () => {
    write(
      'config.yaml',
      'a: base\nb: base\nc: base\nd: base\ne: base\nlist: [1, 2, 3]\nobj: { x: 1, y: 1 }\n',
    );
    write('config.production.yaml', 'b: env\nc: env\nd: env\ne: env\nlist: [9]\nobj: { y: 2 }\n');
    write('config.local.yaml', 'c: local\nd: local\ne: local\n');
    write('config.staging.yaml', 'a: WRONG ENVIRONMENT\n');
    const config = createConfig({
      files: ['config.yaml'],
      cwd: dir,
      env: 'production',
      envPrefix: 'APP_',
      envVars: { APP_D: 'envvar', APP_E: 'envvar', E: 'unprefixed' },
      overrides: { e: 'override' },
    });
    const report = await config.load();
    expect(config.current).toEqual({
      a: 'base',
      b: 'env',
      c: 'local',
      d: 'envvar',
      e: 'override',
      list: [9],
      obj: { x: 1, y: 2 },
    });
    expect(report.files).toEqual(['config.yaml', 'config.production.yaml', 'config.local.yaml']);
    expect(config.watchPaths()).toEqual(
      ['config.yaml', 'config.production.yaml', 'config.local.yaml'].map((f) => join(dir, f)),
    );
  });

  it('takes the environment name from NODE_ENV unless told', () => {
    const prev = process.env.NODE_ENV;
    process.env.NODE_ENV = 'qa';
    try {
      expect(createConfig({ files: ['c.yaml'], cwd: dir }).envName).toBe('qa');
      expect(createConfig({ files: ['c.yaml'], cwd: dir, env: false }).envName).toBeUndefined();
    } finally {
      process.env.NODE_ENV = prev;
    }
  });

  it('notices a local layer created after the first load', async () => {
    write('config.yaml', 'a: 1\n');
    const config = createConfig({ files: ['config.yaml'], cwd: dir, env: false });
    await config.load();
    expect(config.watchPaths()).toContain(join(dir, 'config.local.yaml'));
    write('config.local.yaml', 'a: 2\n');
    expect((await config.reload()).changes).toEqual([
      { path: 'a', kind: 'changed', oldValue: 1, newValue: 2 },
    ]);
  });

  it('throws on malformed options at once', () => {
    expect(() => createConfig({ files: ['c.ini'], cwd: dir })).toThrow(TypeError);
    expect(() => createConfig({ files: ['c.yaml'], cwd: dir, overrides: { 'a..b': 1 } })).toThrow(
      TypeError,
    );
    expect(() => createConfig({ files: ['c.yaml'], cwd: dir, restartRequired: ['a['] })).toThrow(
      TypeError,
    );
  });
});

describe('config: failed reloads change nothing', () => {
  async function loaded() {
    write('config.yaml', yaml('v0'));
    const config = createConfig({ files: ['config.yaml'], cwd: dir, env: false, schema });
    await config.load();
    let fired = 0;
    config.on('**', () => {
      fired++;
    });
    return { config, fired: () => fired };
  }

  it.each([
    [
      'a YAML syntax error',
      'HS_ERR_CONFIG_PARSE',
      () => write('config.yaml', 'llm:\n  model: [unclosed\n'),
    ],
    ['a schema violation', 'HS_ERR_CONFIG_INVALID', () => write('config.yaml', yaml('v1', 'hot'))],
    ['a missing base file', 'HS_ERR_CONFIG_READ', () => rmSync(join(dir, 'config.yaml'))],
    [
      'an unreadable file',
      'HS_ERR_CONFIG_READ',
      () => {
        rmSync(join(dir, 'config.yaml'));
        mkdirSync(join(dir, 'config.yaml')); // EISDIR: permission bits do not stop root
      },
    ],
    ['a broken optional layer', 'HS_ERR_CONFIG_PARSE', () => write('config.local.yaml', 'a: [\n')],
  ])('%s', async (_what, code, breakIt) => {
    const { config, fired } = await loaded();
    const before = config.current;
    breakIt();
    const err = await rejection(config.reload());
    expect(isHotswapError(err, code as 'HS_ERR_CONFIG_READ')).toBe(true);
    expect(config.current).toBe(before);
    expect(config.generation).toBe(1);
    expect(config.snapshots()).toHaveLength(1);
    expect(fired()).toBe(0);
    expect(config.status()).toMatchObject({
      lastOutcome: 'failed',
      lastError: { code },
      state: 'active',
    });
    // The next good reload clears the error.
    rmSync(join(dir, 'config.yaml'), { recursive: true, force: true });
    rmSync(join(dir, 'config.local.yaml'), { force: true });
    write('config.yaml', yaml('v1'));
    await config.reload();
    expect(config.status().lastError).toBeUndefined();
    expect(config.current.llm.model).toBe('v1');
  });

  it('reports every issue with key path and file:line', async () => {
    const { config } = await loaded();
    write('config.yaml', 'llm:\n  model: 7\n  temperature: 9\nirc:\n  nick: bot\n');
    const err = await rejection(config.reload());
    expect(configIssues(err).map((i) => `${i.path} @ ${i.source}`)).toEqual([
      'llm.model @ config.yaml:2:3',
      'llm.temperature @ config.yaml:3:3',
      'irc.host @ config.yaml:4:1',
    ]);
  });

  it('validates only, on request: diff reported, nothing committed', async () => {
    const { config, fired } = await loaded();
    write('config.yaml', yaml('v1'));
    const report = await config.reload({ validateOnly: true });
    expect(report).toMatchObject({ outcome: 'refreshed', validateOnly: true, generation: 1 });
    expect(report.changes).toEqual([
      { path: 'llm.model', kind: 'changed', oldValue: 'v0', newValue: 'v1' },
    ]);
    expect(report.snapshot).toBeUndefined();
    expect(config.current.llm.model).toBe('v0');
    expect(config.snapshots()).toHaveLength(1);
    expect(fired()).toBe(0);
  });

  it('reports unchanged when nothing differs, without a snapshot', async () => {
    const { config } = await loaded();
    write('config.yaml', `# a comment\n${yaml('v0')}`);
    expect(await config.reload()).toMatchObject({
      outcome: 'unchanged',
      changes: [],
      generation: 1,
    });
    expect(config.snapshots()).toHaveLength(1);
  });
});

describe('config: overrides', () => {
  it('types overrides by the schema and keeps them across reloads', async () => {
    write('config.yaml', yaml('v0', 0.5));
    const config = createConfig({
      files: ['config.yaml'],
      cwd: dir,
      env: false,
      schema,
      overrides: { 'irc.nick': '123' },
    });
    await config.load();
    expect(config.current.irc.nick).toBe('123'); // the schema wants a string: "123" stays one
    const report = await config.setOverride('llm.temperature', '0.9');
    expect(config.current.llm.temperature).toBe(0.9);
    expect(report.changes).toEqual([
      { path: 'llm.temperature', kind: 'changed', oldValue: 0.5, newValue: 0.9 },
    ]);
    write('config.yaml', yaml('v1', 0.1));
    await config.reload();
    expect(config.current.llm).toEqual({ model: 'v1', temperature: 0.9 });
    expect(config.overrides).toEqual({ 'irc.nick': '123', 'llm.temperature': '0.9' });
    await config.clearOverride('llm.temperature');
    expect(config.current.llm.temperature).toBe(0.1);
  });

  it('does not keep an override that does not validate', async () => {
    write('config.yaml', yaml('v0'));
    const config = createConfig({ files: ['config.yaml'], cwd: dir, env: false, schema });
    await config.load();
    const err = await rejection(config.setOverride('llm.temperature', 'hot'));
    expect(isHotswapError(err, 'HS_ERR_CONFIG_OVERRIDE')).toBe(true);
    expect(configIssues(err)[0]).toMatchObject({
      path: 'llm.temperature',
      source: 'override llm.temperature',
    });
    expect(config.overrides).toEqual({});
    expect(config.generation).toBe(1);
    await expect(config.setOverride('a..b', 1)).rejects.toMatchObject({
      code: 'HS_ERR_CONFIG_OVERRIDE',
    });
  });

  it('accepts typed values and JSON for arrays', async () => {
    write('config.yaml', yaml('v0'));
    const config = createConfig({ files: ['config.yaml'], cwd: dir, env: false, schema });
    await config.load();
    await config.setOverride('irc.channels', '["#a","#b"]');
    await config.setOverride('llm.temperature', 1.5);
    expect(config.current.irc.channels).toEqual(['#a', '#b']);
    expect(config.current.llm.temperature).toBe(1.5);
  });
});

describe('config: snapshots and rollback', () => {
  async function threeVersions(options: { snapshots?: number } = {}) {
    write('config.yaml', yaml('v0'));
    const config = createConfig({
      files: ['config.yaml'],
      cwd: dir,
      env: false,
      schema,
      ...options,
    });
    await config.load();
    write('config.yaml', yaml('v1'));
    await config.reload();
    write('config.yaml', yaml('v2'));
    await config.reload();
    return config;
  }

  it('keeps each committed version with time and hash, newest first', async () => {
    const config = await threeVersions();
    const list = config.snapshots();
    expect(list.map((s) => [s.id, s.current, s.steps])).toEqual([
      [3, true, 0],
      [2, false, 1],
      [1, false, 2],
    ]);
    expect(new Set(list.map((s) => s.hash)).size).toBe(3);
    expect(list[0]?.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(Date.parse(list[0]?.createdAt ?? '')).not.toBeNaN();
    expect(list[0]?.changed).toEqual(['llm.model']);
  });

  it('v0 → v1 → v2: rollback(1) gives v1, a second rollback(1) gives v0, a third has nothing left', async () => {
    const config = await threeVersions();
    const report = await config.rollback(1);
    expect(config.current.llm.model).toBe('v1');
    expect(report).toMatchObject({
      outcome: 'refreshed',
      trigger: { kind: 'rollback' },
      snapshot: { id: 2, current: true },
    });
    await config.rollback(1);
    expect(config.current.llm.model).toBe('v0');
    const err = await rejection(config.rollback(1));
    expect(isHotswapError(err, 'HS_ERR_UNIT_ROLLBACK')).toBe(true);
    expect(config.current.llm.model).toBe('v0');
    expect(config.snapshots().map((s) => s.steps)).toEqual([-2, -1, 0]);
    // The next reload reads the files again (v2) and drops the versions rolled back from.
    await config.reload();
    expect(config.current.llm.model).toBe('v2');
    expect(config.snapshots().map((s) => s.id)).toEqual([4, 1]);
  });

  it('rollback(2) goes two versions back, and a failed rollback changes nothing', async () => {
    const config = await threeVersions();
    await expect(config.rollback(3)).rejects.toMatchObject({
      code: 'HS_ERR_UNIT_ROLLBACK',
      hint: 'roll back at most 2 steps',
    });
    expect(config.current.llm.model).toBe('v2');
    await config.rollback(2);
    expect(config.current.llm.model).toBe('v0');
  });

  it('restores the overrides of the version it returns to', async () => {
    write('config.yaml', yaml('v0', 0.5));
    const config = createConfig({ files: ['config.yaml'], cwd: dir, env: false, schema });
    await config.load();
    await config.setOverride('llm.temperature', '0.9'); // v1: override on
    write('config.yaml', yaml('v2', 0.5));
    await config.reload(); // v2: override kept
    expect(config.current.llm).toEqual({ model: 'v2', temperature: 0.9 });
    await config.rollback(1);
    expect(config.current.llm).toEqual({ model: 'v0', temperature: 0.9 });
    expect(config.overrides).toEqual({ 'llm.temperature': '0.9' });
    await config.rollback(1);
    expect(config.current.llm).toEqual({ model: 'v0', temperature: 0.5 });
    expect(config.overrides).toEqual({});
  });

  it('is bounded, and clearing keeps the live one', async () => {
    const config = await threeVersions({ snapshots: 2 });
    expect(config.snapshots().map((s) => s.id)).toEqual([3, 2]);
    expect(await config.clearSnapshots()).toBe(1);
    expect(config.snapshots().map((s) => [s.id, s.current])).toEqual([[3, true]]);
    expect(config.current.llm.model).toBe('v2');
    await expect(config.rollback()).rejects.toMatchObject({ code: 'HS_ERR_UNIT_ROLLBACK' });
  });
});

describe('config: restart-required keys', () => {
  it('reports them and keeps their live values while the rest applies', async () => {
    write('config.yaml', yaml('v0', 0.5, 'irc.old', 'bot'));
    const config = createConfig({
      files: ['config.yaml'],
      cwd: dir,
      env: false,
      schema,
      restartRequired: ['irc.host', 'irc.nick'],
    });
    await config.load();
    write('config.yaml', yaml('v1', 0.5, 'irc.new', 'bot'));
    const report = await config.reload();
    expect(report.outcome).toBe('refreshed');
    expect(report.changes.map((c) => c.path)).toEqual(['llm.model']);
    expect(report.restartRequired).toEqual([
      { path: 'irc.host', kind: 'changed', oldValue: 'irc.old', newValue: 'irc.new' },
    ]);
    expect(config.current.irc.host).toBe('irc.old');
    expect(config.current.llm.model).toBe('v1');
    expect(config.status().details).toMatchObject({ restartRequired: ['irc.host'] });

    // Only restart-required keys differ now: reported again, nothing committed.
    const again = await config.reload();
    expect(again).toMatchObject({ outcome: 'restart-required', changes: [], generation: 2 });
    expect(config.snapshots()).toHaveLength(2);
  });

  it('never applies a restart-required key through an override or a rollback', async () => {
    write('config.yaml', yaml('v0', 0.5, 'irc.old'));
    const config = createConfig({
      files: ['config.yaml'],
      cwd: dir,
      env: false,
      schema,
      restartRequired: ['irc'],
    });
    await config.load();
    const report = await config.setOverride('irc.nick', 'other');
    expect(report.outcome).toBe('restart-required');
    expect(config.current.irc.nick).toBe('bot');
    write('config.yaml', yaml('v1', 0.5, 'irc.new'));
    await config.reload();
    expect(config.current.irc.host).toBe('irc.old');
  });
});

describe('config: schema libraries', () => {
  it('works with valibot as with zod, types included', async () => {
    write('config.yaml', yaml('v0'));
    const vschema = v.object({
      llm: v.object({ model: v.string(), temperature: v.number() }),
      irc: v.object({ host: v.string(), nick: v.string() }),
    });
    const config = createConfig({
      files: ['config.yaml'],
      cwd: dir,
      env: false,
      schema: vschema,
      overrides: { 'llm.temperature': '1.25' },
    });
    await config.load();
    expect(config.current.llm.temperature).toBe(1.25);
    expectTypeOf(config.current.irc.host).toEqualTypeOf<string>();
    write('config.yaml', yaml('v1', 'x', 'h', 'n').replace('nick: n', 'nick: 5'));
    const err = await rejection(config.reload());
    expect(configIssues(err).map((i) => i.path)).toEqual(['irc.nick']);
  });

  it('works without a schema: strings stay strings, the type is a record', async () => {
    write('config.yaml', 'port: 80\n');
    const config = createConfig({
      files: ['config.yaml'],
      cwd: dir,
      env: false,
      envPrefix: 'APP_',
      envVars: { APP_PORT: '81' },
    });
    await config.load();
    expect(config.current).toEqual({ port: '81' });
    expectTypeOf(config.get('port')).toEqualTypeOf<unknown>();
  });
});
