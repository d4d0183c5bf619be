/**
 * The quick start of docs/config.md, run as a user would: its config.yaml and app.ts written to
 * a folder, `import ... from 'hotswap'` resolved to the built package, output compared with the
 * results the example states in its comments.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { docPage, runApp, suiteFolder } from '../helpers/docs.js';

// Inside the repository: `hotswap` resolves to this package (self-reference), zod to node_modules.
const folder = suiteFolder('config-docs-', ['dist/index.js', 'dist/units/config/index.js']);

it('runs the quick start of docs/config.md as written', async () => {
  const dir = folder();
  const doc = docPage('config.md');
  writeFileSync(join(dir, 'config.yaml'), doc.block('`config.yaml`:', 'yaml'));
  const app = doc.block('`app.ts`', 'ts');
  expect(app).toContain('// example: quick-start');
  writeFileSync(join(dir, 'app.ts'), app);

  const { code, out, err } = await runApp(dir);
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
