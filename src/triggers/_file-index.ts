/**
 * The fingerprints of every file of interest as last handed over, and the comparison that turns
 * a set of hinted paths into the files that really changed. Hints may be wrong, late, doubled or
 * about a neighbour: only what `stat` says now, against what was handed over, makes a batch.
 */
import { type Fingerprint, hashFile, type Observation, observe, sameStat } from './_fingerprint.js';
import { isInside, type TargetSet } from './_targets.js';
import { forEachLimit, walkFiles } from './_walk.js';

/** Files whose fingerprint differs from the one last handed over, by kind of change. */
export interface Changes {
  changed: string[];
  added: string[];
  removed: string[];
  /**
   * Files caught truncated to nothing (they had content): most likely mid-write, between the
   * truncation and the write. Not recorded; if they are still empty at the next collect, they
   * are reported then.
   */
  held: string[];
}

/** See {@link createFileIndex}. */
export interface FileIndex {
  /** Number of files with a recorded fingerprint. */
  readonly size: number;
  /** True when `path` has a recorded fingerprint (it is a file the index knows). */
  has(path: string): boolean;
  /** Records the current files of `target` as handed over, without reporting them. */
  seed(target: string): Promise<void>;
  /** Resolves hinted paths into changes and records the new fingerprints as handed over. */
  collect(hints: Iterable<string>): Promise<Changes>;
  /** Makes the next hint for target folder `target` walk it, even if it was not replaced. */
  rewalk(target: string): void;
  /** Drops every record that no target covers any more. */
  prune(): void;
  /** Drops everything. */
  clear(): void;
}

const STAT_CONCURRENCY = 32;
/** Stands for a content hash that could not be taken: never equal to a real one. */
const UNKNOWN_HASH = '';

/** Creates an empty index over `targets`. */
export function createFileIndex(targets: TargetSet, onError: (err: unknown) => void): FileIndex {
  const known = new Map<string, Fingerprint>();
  // Files held back once as freshly emptied: seen empty again, they are reported.
  const emptied = new Set<string>();
  // Identity (dev:ino) of each target folder when last seen, so that events next to a target
  // folder re-walk it only when the folder itself was replaced.
  const folderIds = new Map<string, string>();

  async function safeObserve(path: string): Promise<Observation | undefined> {
    try {
      return await observe(path);
    } catch (err) {
      onError(err);
      return undefined;
    }
  }

  /** The record to keep for a file seen as `fp`: racy ones carry a hash of the content. */
  async function record(path: string, fp: Fingerprint, racy: boolean): Promise<Fingerprint> {
    if (!racy) return fp;
    return { ...fp, hash: (await hashFile(path, fp.size)) ?? UNKNOWN_HASH };
  }

  /** One pass of {@link FileIndex.collect}: what every relevant file looks like now. */
  function createPass() {
    const files = new Map<string, Observation & { kind: 'file' }>();
    // Folders seen missing, and folders walked with the files found in them.
    const gone = new Set<string>();
    const walked = new Map<string, Set<string>>();
    const visited = new Set<string>();

    async function walk(dir: string): Promise<void> {
      if (walked.has(dir)) return;
      const found = new Set<string>();
      walked.set(dir, found);
      const paths = await walkFiles(dir, targets.covers, onError);
      await forEachLimit(paths, STAT_CONCURRENCY, async (path) => {
        await visitFile(path);
        if (files.has(path)) found.add(path);
      });
    }

    async function visitFile(path: string): Promise<void> {
      if (files.has(path)) return;
      const seen = await safeObserve(path);
      if (seen?.kind === 'file') files.set(path, seen);
    }

    /** A path hinted directly: a file is compared, a folder walked, a missing path dropped. */
    async function visit(path: string): Promise<void> {
      if (visited.has(path)) return;
      visited.add(path);
      if (targets.has(path)) return visitTarget(path);
      const seen = await safeObserve(path);
      if (seen === undefined) return;
      if (seen.kind === 'file') files.set(path, seen);
      else if (seen.kind === 'dir') await walk(path);
      else gone.add(path);
    }

    /** A target: a folder target is walked only when it appeared or was replaced. */
    async function visitTarget(target: string): Promise<void> {
      const seen = await safeObserve(target);
      if (seen === undefined) return;
      if (seen.kind === 'dir') {
        if (folderIds.get(target) !== seen.id) {
          folderIds.set(target, seen.id);
          await walk(target);
        }
        return;
      }
      folderIds.delete(target);
      if (seen.kind === 'file') files.set(target, seen);
      else gone.add(target);
    }

    async function run(hints: Iterable<string>): Promise<Changes> {
      const direct = new Set<string>();
      const asTargets = new Set<string>();
      for (const hint of hints) {
        if (targets.covers(hint)) direct.add(hint);
        // A neighbour of a target (a ConfigMap's `..data` swap, an editor's temp file) or a
        // folder above one may have changed what the target path resolves to.
        for (const target of targets.siblingsOf(hint) ?? []) asTargets.add(target);
        for (const target of targets.below(hint)) asTargets.add(target);
      }
      await forEachLimit([...asTargets, ...direct], STAT_CONCURRENCY, visit);
      return diff();
    }

    /** Known files that are gone: seen missing, or below a folder that is gone or lacks them. */
    function removals(): string[] {
      const removed = [...gone].filter((path) => known.has(path) && !files.has(path));
      // Only a missing path that was not a known file can be a folder that held known files.
      const folders = [...gone].filter((path) => !known.has(path));
      if (folders.length === 0 && walked.size === 0) return removed;
      for (const path of known.keys()) {
        if (files.has(path) || gone.has(path)) continue;
        const lost =
          folders.some((dir) => isInside(path, dir)) ||
          [...walked].some(([dir, found]) => isInside(path, dir) && !found.has(path));
        if (lost) removed.push(path);
      }
      return removed;
    }

    async function diff(): Promise<Changes> {
      const changes: Changes = { changed: [], added: [], removed: removals(), held: [] };
      for (const path of changes.removed) {
        known.delete(path);
        emptied.delete(path);
      }
      await forEachLimit(files, STAT_CONCURRENCY, async ([path, seen]) => {
        if (!targets.covers(path)) return;
        const before = known.get(path);
        const now = seen.fingerprint;
        if (now.size === 0 && before !== undefined && before.size > 0 && !emptied.has(path)) {
          emptied.add(path);
          changes.held.push(path);
          return;
        }
        emptied.delete(path);
        if (before === undefined) {
          changes.added.push(path);
        } else if (sameStat(before, now)) {
          if (before.hash === undefined) return;
          // Racy record: only the content can tell whether a write hid in the same tick.
          const hash = await hashFile(path, now.size);
          if (hash !== undefined && hash === before.hash) {
            if (!seen.racy) known.set(path, now);
            return;
          }
          changes.changed.push(path);
        } else {
          changes.changed.push(path);
        }
        known.set(path, await record(path, now, seen.racy));
      });
      changes.changed.sort();
      changes.added.sort();
      changes.removed.sort();
      return changes;
    }

    return { run };
  }

  return {
    get size() {
      return known.size;
    },
    has: (path) => known.has(path),
    async seed(target) {
      const seen = await safeObserve(target);
      if (seen?.kind === 'file') {
        if (!known.has(target))
          known.set(target, await record(target, seen.fingerprint, seen.racy));
      } else if (seen?.kind === 'dir') {
        folderIds.set(target, seen.id);
        const paths = await walkFiles(target, targets.covers, onError);
        await forEachLimit(paths, STAT_CONCURRENCY, async (path) => {
          if (known.has(path)) return;
          const file = await safeObserve(path);
          if (file?.kind === 'file' && !known.has(path)) {
            known.set(path, await record(path, file.fingerprint, file.racy));
          }
        });
      }
    },
    collect: (hints) => createPass().run(hints),
    rewalk: (target) => folderIds.delete(target),
    prune() {
      for (const path of known.keys()) if (!targets.covers(path)) known.delete(path);
      for (const path of emptied) if (!targets.covers(path)) emptied.delete(path);
      for (const target of folderIds.keys()) if (!targets.has(target)) folderIds.delete(target);
    },
    clear() {
      known.clear();
      emptied.clear();
      folderIds.clear();
    },
  };
}
