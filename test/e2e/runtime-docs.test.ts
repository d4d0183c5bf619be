/**
 * docs/runtime.md stays true: every ```ts block (not ```ts fragment) runs as written, with
 * `'hotswap'` pointing at this checkout's source, in a Node child through tsx.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, track } from '../helpers/process.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = join(repo, 'test', '.work', 'runtime-docs');
const doc = readFileSync(join(repo, 'docs', 'runtime.md'), 'utf8');
const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
const index = join(repo, 'src', 'index.ts');

afterEach(killAll);

describe('docs/runtime.md examples', () => {
  it('has examples', () => {
    expect(blocks.length).toBeGreaterThan(5);
  });
  blocks.forEach((code, i) => {
    const title = code
      .split('\n')
      .find((l) => l.includes('register(') || l.includes('createWorker('));
    it(`example ${i + 1} runs${title ? `: ${title.trim().slice(0, 60)}` : ''}`, async () => {
      mkdirSync(work, { recursive: true });
      const file = join(work, `example-${i + 1}.ts`);
      writeFileSync(file, code.replaceAll("from 'hotswap'", `from ${JSON.stringify(index)}`));
      const run = track(process.execPath, ['--import', 'tsx', file], { cwd: repo });
      const { code: exit } = await run.exited;
      expect(exit, `${run.stderr.join('\n')}\n${run.stdout.join('\n')}`).toBe(0);
      expect(run.stderr.join('\n')).toBe('');
    });
  });
});
