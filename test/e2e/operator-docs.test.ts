/**
 * The quick start of docs/operator.md, run as a user would: its app.ts written to a folder in
 * the repository (`hotswap` and `hotswap/operator` resolve to the built package), run with tsx,
 * its output compared with what the example states in its comments.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildOnce } from '../helpers/build-once.js';
import { repoRoot } from '../helpers/operator-demo.js';

let dir: string;
let runDir: string;
beforeAll(async () => {
  await buildOnce(['dist/index.js', 'dist/operator.js']);
  dir = mkdtempSync(join(repoRoot, 'test', '.work', 'operator-docs-'));
  runDir = mkdtempSync(join(tmpdir(), 'hs-docs-'));
}, 180_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (runDir) rmSync(runDir, { recursive: true, force: true });
});

it('runs the quick start of docs/operator.md as written', async () => {
  const doc = readFileSync(join(repoRoot, 'docs', 'operator.md'), 'utf8');
  const start = doc.indexOf('```ts\n// example: quick-start');
  expect(start).toBeGreaterThanOrEqual(0);
  const code = doc.slice(start + 6, doc.indexOf('\n```', start) + 1);
  writeFileSync(join(dir, 'app.ts'), code);

  const child = spawn(process.execPath, ['--import', 'tsx', 'app.ts'], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1', HOTSWAP_RUNTIME_DIR: runDir },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d;
  });
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(err).toBe('');
  expect(status).toBe(0);
  expect(out.split('\n')).toEqual([
    "true { kind: 'control', by: 'docs' }",
    'hi, ada',
    '[',
    `  'hotswap_reloads_total{kind="reload",trigger="startup",outcome="ok",runtime="quickstart"} 1',`,
    `  'hotswap_reloads_total{kind="reload",trigger="control",outcome="ok",runtime="quickstart"} 1'`,
    ']',
    '',
  ]);
});
