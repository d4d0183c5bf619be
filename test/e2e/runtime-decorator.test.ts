/**
 * The class helper with real `@hot(...)` decorator syntax, as a user's module would use it.
 * vitest's transform does not lower standard decorators, so the module runs in a Node child
 * through tsx (which does).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, track } from '../helpers/process.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const entry = join(repo, 'test', 'fixtures', 'runtime-decorator', 'main.ts');

afterEach(killAll);

describe('@hot class decorator', () => {
  it('registers the class as a hot unit and stages its next evaluation', async () => {
    const run = track(process.execPath, ['--import', 'tsx', entry], { cwd: repo });
    const { code } = await run.exited;
    expect(code, run.stderr.join('\n')).toBe(0);
    expect(JSON.parse(run.stdout.at(-1) ?? '{}')).toEqual({
      outcomes: ['added', 'refreshed'],
      first: 'hello ada #1',
      second: 'hi ada (2)',
      same: true,
    });
  });
});
