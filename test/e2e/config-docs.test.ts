/**
 * The quick start of docs/config.md, run as a user would: its config.yaml and app.ts written to
 * a folder, `import ... from 'hotswap'` resolved to the built package, output compared with the
 * results the example states in its comments.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOnce } from '../helpers/build-once.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;

beforeAll(async () => {
  await buildOnce(['dist/index.js', 'dist/units/config/index.js']);
  mkdirSync(join(root, 'test', '.work'), { recursive: true });
  // Inside the repository: `hotswap` resolves to this package (self-reference), zod to node_modules.
  dir = mkdtempSync(join(root, 'test', '.work', 'config-docs-'));
}, 180_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function block(doc: string, after: string, lang: string): string {
  const start = doc.indexOf(after);
  expect(start, `"${after}" in docs/config.md`).toBeGreaterThanOrEqual(0);
  const open = doc.indexOf(`\`\`\`${lang}\n`, start) + lang.length + 4;
  return doc.slice(open, doc.indexOf('\n```', open) + 1);
}

it('runs the quick start of docs/config.md as written', async () => {
  const doc = readFileSync(join(root, 'docs', 'config.md'), 'utf8');
  writeFileSync(join(dir, 'config.yaml'), block(doc, '`config.yaml`:', 'yaml'));
  const app = block(doc, '`app.ts`', 'ts');
  expect(app).toContain('// example: quick-start');
  writeFileSync(join(dir, 'app.ts'), app);

  const child = spawn(process.execPath, ['--import', 'tsx', 'app.ts'], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(err).toBe('');
  expect(code).toBe(0);
  expect(out.split('\n')).toEqual([
    'gpt-4',
    'llm.temperature: 0.7 -> 0.9',
    'llm.model: gpt-4 -> gpt-5',
    "[ 'irc.host' ]",
    'irc.libera.chat',
    'llm.model: gpt-5 -> gpt-4',
    "[ '#3', '#2 (live)', '#1' ]",
    '',
  ]);
});
