/**
 * The quick start of docs/services.md, run as a user would: its config.yaml and app.ts written
 * to a folder, `import ... from 'hotswap'` resolved to the built package, and its output
 * compared with the output the page shows.
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
  await buildOnce(['dist/index.js', 'dist/units/service.js']);
  mkdirSync(join(root, 'test', '.work'), { recursive: true });
  // Inside the repository: `hotswap` resolves to this package (self-reference).
  dir = mkdtempSync(join(root, 'test', '.work', 'service-docs-'));
}, 180_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function block(doc: string, after: string, lang: string): string {
  const start = doc.indexOf(after);
  expect(start, `"${after}" in docs/services.md`).toBeGreaterThanOrEqual(0);
  const open = doc.indexOf(`\`\`\`${lang}\n`, start) + lang.length + 4;
  return doc.slice(open, doc.indexOf('\n```', open) + 1);
}

it('runs the quick start of docs/services.md and prints what the page says', async () => {
  const doc = readFileSync(join(root, 'docs', 'services.md'), 'utf8');
  writeFileSync(join(dir, 'config.yaml'), block(doc, '`config.yaml`:', 'yaml'));
  const app = block(doc, '`app.ts`', 'ts');
  expect(app).toContain('// example: quick-start');
  writeFileSync(join(dir, 'app.ts'), app);
  const expected = block(doc, 'It prints:', 'text');

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
  expect(out).toBe(expected);
});
