/**
 * docs/commands.md stays true: every ```ts block (not ```ts fragment) runs as written, with
 * `'hotswap'` and `'hotswap/chat'` pointing at this checkout's source, in a Node child through tsx.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, track } from '../helpers/process.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = join(repo, 'test', '.work', 'commands-docs');
const doc = readFileSync(join(repo, 'docs', 'commands.md'), 'utf8');
const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);

/** What each example prints, in order (a line of stdout contains each). */
const expected: string[][] = [
  ['reload #1 (api): 2 added', 'hello ada', 'refreshed hello; added shout', 'howdy ada'],
  ["[ 'hello', 'yo' ] [ '#lobby' ]", 'hello again', "unbound: [ 'greet' ]"],
  ['reload #1 (chat by alice!~al@home.example.org: @reload)', 'HS_ERR_TRIGGER_DENIED', 'true'],
];

afterEach(killAll);

describe('docs/commands.md examples', () => {
  it('has one expectation per example', () => {
    expect(blocks.length).toBe(expected.length);
  });
  blocks.forEach((code, i) => {
    it(`example ${i + 1} runs and prints what the doc says`, async () => {
      mkdirSync(work, { recursive: true });
      const file = join(work, `example-${i + 1}.ts`);
      const source = code
        .replaceAll(
          "from 'hotswap/chat'",
          `from ${JSON.stringify(join(repo, 'src', 'triggers', 'chat.ts'))}`,
        )
        .replaceAll("from 'hotswap'", `from ${JSON.stringify(join(repo, 'src', 'index.ts'))}`);
      writeFileSync(file, source);
      const run = track(process.execPath, ['--import', 'tsx', file], { cwd: repo });
      const { code: exit } = await run.exited;
      expect(exit, `${run.stderr.join('\n')}\n${run.stdout.join('\n')}`).toBe(0);
      expect(run.stderr.join('\n')).toBe('');
      for (const text of expected[i] ?? []) {
        expect(
          run.stdout.some((line) => line.includes(text)),
          `${text} in\n${run.stdout.join('\n')}`,
        ).toBe(true);
      }
    });
  });
});
