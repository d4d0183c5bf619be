/**
 * Running a docs page's example as a user would: its code blocks taken from the page as
 * written, saved to a folder inside the repository (so `hotswap` resolves to the built package,
 * by self-reference), and `app.ts` run with tsx in a child process, its output captured whole.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect } from 'vitest';
import { buildOnce } from './build-once.js';
import { type Captured, capture } from './process.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A page of docs/, read whole. */
export interface DocPage {
  readonly text: string;
  /**
   * The body of the first fenced block of language `lang` after `marker`, up to and with its
   * last newline. Fails the test when `marker` is not on the page.
   */
  block(marker: string, lang: string): string;
}

/**
 * Reads `docs/<name>`.
 * @example
 * const doc = docPage('config.md');
 * writeFileSync(join(dir, 'app.ts'), doc.block('`app.ts`', 'ts'));
 */
export function docPage(name: string): DocPage {
  const text = readFileSync(join(root, 'docs', name), 'utf8');
  return {
    text,
    block(marker, lang) {
      const start = text.indexOf(marker);
      expect(start, `"${marker}" in docs/${name}`).toBeGreaterThanOrEqual(0);
      const open = text.indexOf(`\`\`\`${lang}\n`, start) + lang.length + 4;
      return text.slice(open, text.indexOf('\n```', open) + 1);
    },
  };
}

/**
 * A fresh folder `test/.work/<prefix>XXXXXX` for the suite, made after `dist/` is built
 * (`outputs` as for {@link buildOnce}) and removed after the suite. Call at the top level of a
 * test file; the returned function gives the folder's path.
 */
export function suiteFolder(prefix: string, outputs: readonly string[]): () => string {
  let dir: string | undefined;
  beforeAll(async () => {
    await buildOnce(outputs);
    mkdirSync(join(root, 'test', '.work'), { recursive: true });
    dir = mkdtempSync(join(root, 'test', '.work', prefix));
  }, 180_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    if (dir === undefined) throw new Error(`${prefix} folder used before the suite started`);
    return dir;
  };
}

/** Runs `node --import tsx app.ts` in `dir` (no colour, `env` added) to its end. */
export function runApp(dir: string, env: NodeJS.ProcessEnv = {}): Promise<Captured> {
  return capture(
    spawn(process.execPath, ['--import', 'tsx', 'app.ts'], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', ...env },
    }),
  );
}
