/**
 * The quick start of docs/services.md, run as a user would: its config.yaml and app.ts written
 * to a folder, `import ... from 'hotswap'` resolved to the built package, and its output
 * compared with the output the page shows.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { docPage, runApp, suiteFolder } from '../helpers/docs.js';

// Inside the repository: `hotswap` resolves to this package (self-reference).
const folder = suiteFolder('service-docs-', ['dist/index.js', 'dist/units/service.js']);

it('runs the quick start of docs/services.md and prints what the page says', async () => {
  const dir = folder();
  const doc = docPage('services.md');
  writeFileSync(join(dir, 'config.yaml'), doc.block('`config.yaml`:', 'yaml'));
  const app = doc.block('`app.ts`', 'ts');
  expect(app).toContain('// example: quick-start');
  writeFileSync(join(dir, 'app.ts'), app);
  const expected = doc.block('It prints:', 'text');

  const { code, out, err } = await runApp(dir);
  expect(err).toBe('');
  expect(code).toBe(0);
  expect(out).toBe(expected);
});
