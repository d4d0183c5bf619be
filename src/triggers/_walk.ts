/**
 * Lists the files below a folder the way the watcher sees them: following symlinks (as the folder
 * watch does), skipping what the filter rejects, never looping on a symlink cycle.
 */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isAbsent } from './_fingerprint.js';

/**
 * Absolute paths of the regular files below `root` (and of symlinks to files) that `include`
 * accepts; folders `include` rejects are not entered. Entries that vanish during the walk are
 * skipped; other failures go to `onError` and the walk goes on.
 */
export async function walkFiles(
  root: string,
  include: (path: string) => boolean,
  onError: (err: unknown) => void,
): Promise<string[]> {
  const files: string[] = [];
  const seen = new Set<string>();
  const stack = [root];
  const rootStats = await stat(root).catch(() => undefined);
  if (rootStats) seen.add(`${rootStats.dev}:${rootStats.ino}`);
  for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (!isAbsent(err)) onError(err);
      continue;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (!include(path)) continue;
      if (entry.isFile()) files.push(path);
      else if (entry.isDirectory()) stack.push(path);
      else if (entry.isSymbolicLink()) {
        const target = await stat(path).catch((err: unknown) => {
          if (!isAbsent(err)) onError(err);
          return undefined;
        });
        if (target?.isFile()) files.push(path);
        else if (target?.isDirectory()) {
          const id = `${target.dev}:${target.ino}`;
          if (!seen.has(id)) {
            seen.add(id);
            stack.push(path);
          }
        }
      }
    }
  }
  return files;
}

/** Runs `fn` over `items`, at most `limit` at a time (stat storms would only queue in libuv). */
export async function forEachLimit<T>(
  items: Iterable<T>,
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  const worker = async (): Promise<void> => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) await fn(next.value);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}
