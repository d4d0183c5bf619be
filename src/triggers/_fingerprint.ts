/**
 * The fingerprint of a file: the watcher's authority on whether it changed. Watcher events are
 * only hints; two fingerprints that differ mean the file changed, and equal fingerprints mean it
 * did not, except in the "racy" case handled here.
 *
 * Racy fingerprints (git's "racily clean" problem): file times come from a clock that may tick
 * coarsely (a kernel jiffy, up to 10 ms; whole seconds on some file systems). A write landing in
 * the same tick as the stat that recorded a fingerprint, without changing the size, leaves every
 * field equal. So when a fingerprint was taken less than a tick after the file's last change, it
 * also keeps a hash of the content, and equality then means equal hashes too.
 */
import { createHash } from 'node:crypto';
import { readFileSync, type Stats, statSync } from 'node:fs';

/** What identifies one state of a file. */
export interface Fingerprint {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  /** Content hash, kept only while the fingerprint is racy. */
  readonly hash?: string;
}

/** What a path holds right now. */
export type Observation =
  | { readonly kind: 'file'; readonly fingerprint: Fingerprint; readonly racy: boolean }
  | { readonly kind: 'dir'; readonly id: string }
  | { readonly kind: 'missing' };

/** Upper bound of a coarse clock tick on file systems with sub-second times (HZ=100: 10 ms). */
const FINE_TICK_MS = 25;
/** File systems with whole-second times (ext3, FAT's 2 s, some network file systems). */
const COARSE_TICK_MS = 2_100;
/** Files larger than this are not hashed: a racy large file is reported as changed instead. */
const MAX_HASHED_BYTES = 8 * 1024 * 1024;

const MISSING: Observation = { kind: 'missing' };

/** Error codes that mean "nothing usable at this path" rather than a failure. */
const ABSENT_CODES = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG']);

/** True when `err` says the path does not exist (or a symlink on it leads nowhere). */
export function isAbsent(err: unknown): boolean {
  return ABSENT_CODES.has((err as { code?: string } | null)?.code ?? '');
}

/**
 * Stats `path`, following symlinks. Sockets, pipes and devices count as missing.
 * Throws for failures other than absence (permissions, I/O).
 */
export async function observe(path: string): Promise<Observation> {
  const startedAt = Date.now();
  let stats: Stats;
  try {
    // Synchronous on purpose: a stat in libuv's threadpool waits behind whatever else is queued
    // there (a watcher that re-reads a 1000-entry folder after every event, as chokidar did: ~30 ms), and
    // that wait is the edit→served latency. A few stats per batch take microseconds.
    stats = statSync(path);
  } catch (err) {
    if (isAbsent(err)) return MISSING;
    throw err;
  }
  if (stats.isDirectory()) return { kind: 'dir', id: `${stats.dev}:${stats.ino}` };
  if (!stats.isFile()) return MISSING;
  const fingerprint: Fingerprint = {
    dev: stats.dev,
    ino: stats.ino,
    size: stats.size,
    mtimeMs: stats.mtimeMs,
    ctimeMs: stats.ctimeMs,
  };
  return { kind: 'file', fingerprint, racy: isRacy(fingerprint, startedAt) };
}

/**
 * True when a later write could leave `fp` unchanged: the file changed less than a clock tick
 * before the stat started. ctime is used too because `utimes` can set mtime to anything.
 */
export function isRacy(fp: Fingerprint, statStartedAt: number): boolean {
  const changedAt = Math.max(fp.mtimeMs, fp.ctimeMs);
  const wholeSeconds = fp.mtimeMs % 1000 === 0 && fp.ctimeMs % 1000 === 0;
  return changedAt >= statStartedAt - (wholeSeconds ? COARSE_TICK_MS : FINE_TICK_MS);
}

/** True when the stat fields of two fingerprints are equal (hashes are compared separately). */
export function sameStat(a: Fingerprint, b: Fingerprint): boolean {
  return (
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeMs === b.mtimeMs &&
    a.ctimeMs === b.ctimeMs &&
    a.dev === b.dev
  );
}

/**
 * Hash of the content of `path`, or undefined when it cannot be read (gone, too large): the
 * caller then treats the file as changed, which is always safe.
 */
export async function hashFile(path: string, size: number): Promise<string | undefined> {
  if (size > MAX_HASHED_BYTES) return undefined;
  try {
    // Synchronous for the same reason as the stat in `observe`.
    return createHash('sha1').update(readFileSync(path)).digest('base64');
  } catch {
    // Vanished or unreadable between stat and read: the next stat reports what it became.
    return undefined;
  }
}
