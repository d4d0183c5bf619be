/**
 * `hotswap config validate|interactive` as a user runs them: the built binary in a child
 * process, on real files, stdin piped.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from '../helpers/build-once.js';
import { type Captured, capture } from '../helpers/process.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'dist', 'cli', 'bin.js');
const SECRET = 'sk-live-FIXTURE-0001';
let work: string;

beforeAll(async () => {
  await buildOnce(['dist/cli/bin.js', 'dist/cli/commands/config.js']);
  // Under the repository, so the fixtures' schema modules resolve zod and valibot.
  mkdirSync(join(root, 'test', '.work'), { recursive: true });
  work = mkdtempSync(join(root, 'test', '.work', 'config-cli-'));
}, 180_000);
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function fixtureDir(): string {
  const dir = mkdtempSync(join(work, 'case-'));
  cpSync(join(root, 'test', 'fixtures', 'config-cli'), dir, { recursive: true });
  return dir;
}

function start(args: string[], cwd: string): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [bin, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
}

function run(args: string[], cwd: string, input?: string): Promise<Captured> {
  const child = start(args, cwd);
  const done = capture(child);
  child.stdin.end(input ?? '');
  return done;
}

describe('hotswap config validate', () => {
  it('accepts a valid config with a TypeScript schema module', async () => {
    const dir = fixtureDir();
    const r = await run(['config', 'validate', 'config.yaml', '--schema', 'schema.ts'], dir);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe('✔ valid: config.yaml (6 keys)\n');
  });

  it('layers the environment file, and a JavaScript (valibot) schema works the same', async () => {
    const dir = fixtureDir();
    const r = await run(
      [
        'config',
        'validate',
        'config.yaml',
        '--schema',
        'schema.mjs',
        '--env',
        'production',
        '--json',
      ],
      dir,
    );
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json).toMatchObject({
      valid: true,
      files: ['config.yaml', 'config.production.yaml'],
      config: { llm: { model: 'gpt-5', apiKey: '[redacted]' } },
    });
    expect(r.out).not.toContain(SECRET);
  });

  it('prints every issue with file:line and a code frame, exits 1, and never the secret', async () => {
    const dir = fixtureDir();
    const r = await run(['config', 'validate', 'invalid.yaml', '--schema', 'schema.ts'], dir);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    for (const expected of [
      '✖ llm.model: Invalid input: expected string, received number\n  at invalid.yaml:2:3\n    1 | llm:\n  > 2 |   model: 42\n      |   ^',
      '✖ llm.temperature: Invalid input: expected number, received string\n  at invalid.yaml:3:3',
      '✖ irc.host: Invalid input: expected string, received undefined\n  at invalid.yaml:5:1',
      '✖ irc.channels:',
      '✖ configuration is invalid: 4 issues',
    ]) {
      expect(r.err).toContain(expected);
    }
    expect(r.err).toContain('apiKey: [redacted]'); // in the frames around line 3
    expect(r.err).not.toContain(SECRET);
    expect(r.err.includes('\u001b[')).toBe(false); // no colour when not a terminal
  });

  it('reports invalid overrides, parse errors and unreadable files with exit 1', async () => {
    const dir = fixtureDir();
    const o = await run(
      ['config', 'validate', 'config.yaml', '--schema', 'schema.ts', '-o', 'llm.temperature=9'],
      dir,
    );
    expect(o.code).toBe(1);
    expect(o.err).toContain(
      '✖ llm.temperature: Too big: expected number to be <=2\n  at override llm.temperature',
    );
    writeFileSync(join(dir, 'config.local.yaml'), 'llm:\n  model: [gpt\n');
    const p = await run(['config', 'validate', 'config.yaml'], dir);
    expect(p.code).toBe(1);
    // An unclosed flow sequence is found at the end of the input, the line after it.
    expect(p.err).toMatch(/✖ cannot parse config\.local\.yaml: .* \S+config\.local\.yaml:3:1\n/);
    expect(p.err).toContain('  2 |   model: [gpt');
    // --no-layers reads only the files named.
    expect((await run(['config', 'validate', 'config.yaml', '--no-layers'], dir)).code).toBe(0);
    const missing = await run(['config', 'validate', 'nope.yaml'], dir);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('✖ cannot read nope.yaml (ENOENT)');
  });

  it.each([
    [['config', 'validate'], /missing required argument/],
    [
      ['config', 'validate', 'config.yaml', '--schema', 'missing.ts'],
      /schema module not found: missing\.ts/,
    ],
    [
      ['config', 'validate', 'config.yaml', '--schema', 'not-a-schema.mjs'],
      /exports no Standard Schema/,
    ],
    [['config', 'validate', 'config.yaml', '-o', 'no-equals-sign'], /is not key=value/],
    [['config', 'validate', 'config.ini'], /cannot tell the format of config\.ini/],
  ])('exits 2 on usage errors: %j', async (args, message) => {
    const r = await run(args, fixtureDir());
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });
});

describe('hotswap config interactive', () => {
  it('runs a whole session from piped stdin', async () => {
    const dir = fixtureDir();
    const r = await run(
      ['config', 'interactive', 'config.yaml', '--schema', 'schema.ts'],
      dir,
      's\no llm.temperature=0.9\nb\ni\nq\nr\n',
    );
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const lines = r.out.split('\n');
    expect(lines).toContain('✔ config loaded: generation 1, snapshot #1, 6 keys');
    expect(lines).toContain('> o llm.temperature=0.9');
    expect(lines).toContain('  ~ llm.temperature: 0.7 -> 0.9');
    expect(lines).toContain('✔ config rolled back: generation 3, snapshot #1, 1 key changed');
    expect(lines).toContain('  overrides:   none');
    expect(lines.at(-2)).toBe('bye');
    expect(r.out).not.toContain('> r'); // nothing after q runs
    expect(r.out).not.toContain(SECRET);
  });

  it('reloads edits, keeps overrides, holds restart-required keys, survives errors, rolls back', async () => {
    const dir = fixtureDir();
    const child = start(
      [
        'config',
        'interactive',
        'config.yaml',
        '--schema',
        'schema.ts',
        '--restart-required',
        'irc.host',
      ],
      dir,
    );
    let out = '';
    let err = '';
    const waiters: { test: () => boolean; resolve: () => void }[] = [];
    const check = () => {
      for (const w of [...waiters]) {
        if (w.test()) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    };
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      check();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d;
      check();
    });
    // Sends a command and resolves once `expected` appears in the output after it.
    const send = (line: string, expected: string, stream: 'out' | 'err' = 'out') => {
      const from = stream === 'out' ? out.length : err.length;
      child.stdin.write(`${line}\n`);
      return new Promise<void>((resolve) => {
        waiters.push({
          test: () => (stream === 'out' ? out : err).slice(from).includes(expected),
          resolve,
        });
        check();
      });
    };
    await new Promise<void>((resolve) => {
      waiters.push({ test: () => out.includes('config loaded: generation 1'), resolve });
      check();
    });

    await send('o llm.temperature=0.9', 'config reloaded: generation 2');
    writeFileSync(
      join(dir, 'config.yaml'),
      `llm:\n  model: gpt-4o\n  temperature: 0.1\n  apiKey: ${SECRET}\nirc:\n  host: irc.oftc.net\n  nick: hotbot\n  channels: ["#hotswap", "#dev"]\n`,
    );
    await send('r', 'config reloaded: generation 3');
    expect(out).toContain('  ~ llm.model: "gpt-4" -> "gpt-4o"');
    expect(out).toContain(
      '  ~ irc.host: "irc.libera.chat" -> "irc.oftc.net" (restart required, not applied)',
    );
    expect(out).not.toContain('llm.temperature: 0.9 -> 0.1'); // the override survived the reload

    writeFileSync(join(dir, 'config.yaml'), 'llm:\n  model: 1\n');
    await send('r', 'the live configuration is unchanged', 'err');
    expect(err).toContain(
      '✖ llm.model: Invalid input: expected string, received number\n  at config.yaml:2:3',
    );
    await send('i', 'snapshots:   3');
    expect(out).toContain('config: generation 3');
    expect(out).toContain('  restart required: irc.host');
    expect(out).toContain('  overrides:   llm.temperature="0.9"');

    await send('s', '3 snapshots, newest first:');
    await send('b 2', 'config rolled back: generation 4, snapshot #1');
    await send('b 5', 'cannot roll "config" back 5 steps', 'err');
    await send('c', 'cleared 2 snapshots; the live one is kept');
    await send('v', 'llm.model: Invalid input', 'err');
    await send('nope', 'unknown command "nope"', 'err');
    await send('p', '"apiKey": "[redacted]"');
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdin.write('q\n');
    expect(await closed).toBe(0);
    expect(out + err).not.toContain(SECRET);
  });
});
