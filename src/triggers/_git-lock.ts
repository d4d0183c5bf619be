/**
 * Git holds `<git dir>/index.lock` for the whole time it rewrites the work tree (checkout,
 * switch, merge, rebase, reset, stash) and renames it away only after the last file is written.
 * While it exists, a quiet window in the events proves nothing: git may just be slow. So the
 * watcher waits for the lock, which turns "one reload per checkout" from a timing hope into a
 * guarantee, and never reloads a half-switched tree whose files come from two branches.
 */
import { statSync } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { isAbsent } from './_fingerprint.js';

/**
 * A lock older than this is not waited for: `git commit` holds it while the user writes the
 * message, and a crashed git leaves it behind. A checkout longer than this yields two batches.
 */
export const GIT_LOCK_MAX_AGE_MS = 3_000;

/**
 * Path of the `index.lock` of the git work tree that contains `path`, or undefined outside git.
 * Follows `.git` files (`gitdir: ...`) of linked work trees and submodules.
 */
export async function findIndexLock(path: string): Promise<string | undefined> {
  for (let child = '', dir = path; dir !== child; child = dir, dir = dirname(dir)) {
    const dotGit = join(dir, '.git');
    try {
      const stats = await lstat(dotGit);
      if (stats.isDirectory()) return join(dotGit, 'index.lock');
      if (stats.isFile()) {
        const match = /^gitdir:\s*(.+?)\s*$/m.exec(await readFile(dotGit, 'utf8'));
        if (match?.[1]) return join(resolve(dir, match[1]), 'index.lock');
      }
    } catch (err) {
      if (!isAbsent(err)) return undefined;
    }
  }
  return undefined;
}

/**
 * How recently git must have written its index for a batch to wait as if the lock were held: a
 * checkout that finished before the watcher's first probe (a fast one, or a loaded machine) still
 * has events in flight, and they belong in the same batch.
 */
export const GIT_INDEX_RECENT_MS = 250;

/**
 * True while one of `locks` exists and is younger than {@link GIT_LOCK_MAX_AGE_MS}, or while the
 * index next to it was written less than {@link GIT_INDEX_RECENT_MS} ago.
 */
export async function isGitBusy(locks: Iterable<string>): Promise<boolean> {
  const checks = [...locks].map(async (lock) => {
    try {
      // Synchronous: this probe runs before every batch, and an async stat would wait in libuv's
      // threadpool behind other file system work (see `observe` in _fingerprint.ts).
      const stats = statSync(lock);
      return Date.now() - stats.ctimeMs < GIT_LOCK_MAX_AGE_MS;
    } catch {
      // No lock: git may have just finished (it renames the lock over the index).
      try {
        return Date.now() - statSync(lock.slice(0, -'.lock'.length)).ctimeMs < GIT_INDEX_RECENT_MS;
      } catch {}
      // Absent (the normal case) or unreadable: either way nothing to wait for.
      return false;
    }
  });
  return (await Promise.all(checks)).includes(true);
}
