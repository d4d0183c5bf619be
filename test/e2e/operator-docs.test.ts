/**
 * The quick start of docs/operator.md, run as a user would: its app.ts written to a folder in
 * the repository (`hotswap` and `hotswap/operator` resolve to the built package), run with tsx,
 * its output compared with what the example states in its comments.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { docPage, runApp, suiteFolder } from '../helpers/docs.js';

const folder = suiteFolder('operator-docs-', ['dist/index.js', 'dist/operator.js']);
let runDir: string;
beforeAll(() => {
  runDir = mkdtempSync(join(tmpdir(), 'hs-docs-'));
});
afterAll(() => {
  if (runDir) rmSync(runDir, { recursive: true, force: true });
});

it('runs the quick start of docs/operator.md as written', async () => {
  const dir = folder();
  const app = docPage('operator.md').block('`app.ts`', 'ts');
  expect(app).toContain('// example: quick-start');
  writeFileSync(join(dir, 'app.ts'), app);

  const { code, out, err } = await runApp(dir, { HOTSWAP_RUNTIME_DIR: runDir });
  expect(err).toBe('');
  expect(code).toBe(0);
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
