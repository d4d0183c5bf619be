/**
 * Builds `dist/` (tsc -p tsconfig.build.json) before tests that run the real `hotswap` binary
 * in a child process. Usable as a vitest `globalSetup` (default export) or from `beforeAll`.
 *
 * Suites run in parallel forks and other work may build at the same time, so builds are
 * serialised through `flock` on a lock file, and skipped when `dist/` is newer than every file
 * under `src/`. tsc emits even when files elsewhere in the tree do not type-check yet; the
 * build counts as done when the outputs the caller needs exist and are up to date.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

// tsc's incremental build rewrites only the outputs whose source changed, so freshness is read
// from its build-info file, which every build that saw a change rewrites.
function upToDate(outputs: readonly string[]): boolean {
  const info = join(root, 'dist', '.tsbuildinfo');
  if (!existsSync(info) || !outputs.every((o) => existsSync(join(root, o)))) return false;
  return statSync(info).mtimeMs >= newestMtime(join(root, 'src'));
}

/**
 * Builds `dist/` unless it is already newer than `src/`; throws when `outputs` (paths relative
 * to the repository) are still missing or stale afterwards.
 * @example
 * beforeAll(() => buildOnce(['dist/cli/bin.js']), 120_000);
 */
export async function buildOnce(outputs: readonly string[] = ['dist/cli/bin.js']): Promise<void> {
  if (upToDate(outputs)) return;
  const tsc = join(root, 'node_modules', '.bin', 'tsc');
  const lock = join(root, 'test', '.work', 'build.lock');
  spawnSync('mkdir', ['-p', join(root, 'test', '.work')]);
  const hasFlock = spawnSync('flock', ['--version']).status === 0;
  const [cmd, args] = hasFlock
    ? ['flock', [lock, tsc, '-p', 'tsconfig.build.json']]
    : [tsc, ['-p', 'tsconfig.build.json']];
  const result = spawnSync(cmd, args as string[], { cwd: root, encoding: 'utf8' });
  // tsc leaves its build info alone when a touched source has the same content as at the last
  // build: the build is fresh all the same.
  const info = join(root, 'dist', '.tsbuildinfo');
  if (result.status === 0 && existsSync(info)) utimesSync(info, new Date(), new Date());
  if (!upToDate(outputs)) {
    const missing = outputs
      .filter((o) => !existsSync(join(root, o)))
      .map((o) => relative(root, join(root, o)));
    throw new Error(
      `build did not produce ${missing.length > 0 ? missing.join(', ') : 'fresh outputs'} (tsc exit ${result.status}):\n${result.stdout}${result.stderr}`,
    );
  }
}

/** vitest `globalSetup` entry. */
export default async function setup(): Promise<void> {
  await buildOnce();
}
