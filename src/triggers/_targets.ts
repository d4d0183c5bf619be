/**
 * Which paths the file watcher cares about. A target is a path the user asked to watch: a file,
 * or a folder watched recursively. Everything here is synchronous and allocation-light, because
 * The folder watch and the event router call it for every entry and every event.
 */
import { basename, dirname, sep } from 'node:path';

/** Folders never descended into below a watched folder (a watched folder itself may be one). */
const IGNORED_SEGMENTS = new Set(['node_modules', '.git', 'dist']);

/**
 * Files editors create beside the file being edited: vim swap files and its `4913` write probe,
 * emacs lock and autosave files, `~` backups, JetBrains safe-write copies. They change while the
 * user types, so reporting them would reload nothing, over and over.
 */
const EDITOR_JUNK = /^(?:\..+\.sw[a-p]|\..+\.swx|4913|\.#.+|#.+#)$|~$|___jb_(?:tmp|old)___$/;

/** True when `path` is strictly inside `dir`. */
export function isInside(path: string, dir: string): boolean {
  const prefix = dir.endsWith(sep) ? dir : dir + sep;
  return path.length > prefix.length && path.startsWith(prefix);
}

/** The set of watched paths, with the questions the watcher asks about any path. */
export interface TargetSet {
  /** Number of targets. */
  readonly size: number;
  /** Adds one reference to `path`; true when it was not a target before. */
  add(path: string): boolean;
  /** Drops one reference to `path`; true when it is no longer a target. */
  delete(path: string): boolean;
  /** True when `path` is a target. */
  has(path: string): boolean;
  /** Every target. */
  all(): IterableIterator<string>;
  /**
   * True when `path` is a file of interest: a target, or inside a target folder and not ignored
   * (by the defaults, checked below that folder only, or by the user's predicate).
   */
  covers(path: string): boolean;
  /** Whether the folder watch for `target` should enter `path` (or watch it, for a file). */
  watches(target: string, path: string): boolean;
  /** Targets whose parent folder is the parent of `path` (siblings share their folder's events). */
  siblingsOf(path: string): ReadonlySet<string> | undefined;
  /** Targets equal to or inside `dir`, when `dir` is a strict ancestor of at least one target. */
  below(dir: string): string[];
  /** True when an event at `path` can concern a target at all. */
  relevant(path: string): boolean;
}

/**
 * Creates an empty {@link TargetSet}.
 * @param ignored the user's extra predicate, called with absolute paths below a target folder.
 */
export function createTargetSet(ignored?: (path: string) => boolean): TargetSet {
  const refs = new Map<string, number>();
  // Parent folder -> targets in it: events in that folder are hints for those targets.
  const byParent = new Map<string, Set<string>>();
  // Strict ancestors of targets, counted: events on them may mean a target appeared or vanished.
  const ancestors = new Map<string, number>();

  function ignoredBelow(root: string, path: string): boolean {
    const rel = path.slice(root.endsWith(sep) ? root.length : root.length + 1);
    for (const segment of rel.split(sep)) if (IGNORED_SEGMENTS.has(segment)) return true;
    if (EDITOR_JUNK.test(basename(path))) return true;
    return ignored?.(path) === true;
  }

  function forEachAncestor(path: string, fn: (dir: string) => void): void {
    for (let child = path, dir = dirname(path); dir !== child; child = dir, dir = dirname(dir)) {
      fn(dir);
    }
  }

  const set: TargetSet = {
    get size() {
      return refs.size;
    },
    add(path) {
      const count = refs.get(path) ?? 0;
      refs.set(path, count + 1);
      if (count > 0) return false;
      const parent = dirname(path);
      const siblings = byParent.get(parent) ?? new Set<string>();
      byParent.set(parent, siblings.add(path));
      forEachAncestor(path, (dir) => ancestors.set(dir, (ancestors.get(dir) ?? 0) + 1));
      return true;
    },
    delete(path) {
      const count = refs.get(path);
      if (count === undefined) return false;
      if (count > 1) {
        refs.set(path, count - 1);
        return false;
      }
      refs.delete(path);
      const parent = dirname(path);
      const siblings = byParent.get(parent);
      siblings?.delete(path);
      if (siblings?.size === 0) byParent.delete(parent);
      forEachAncestor(path, (dir) => {
        const n = (ancestors.get(dir) ?? 1) - 1;
        if (n === 0) ancestors.delete(dir);
        else ancestors.set(dir, n);
      });
      return true;
    },
    has: (path) => refs.has(path),
    all: () => refs.keys(),
    covers(path) {
      if (refs.has(path)) return true;
      let covered = false;
      forEachAncestor(path, (dir) => {
        if (!covered && refs.has(dir) && !ignoredBelow(dir, path)) covered = true;
      });
      return covered;
    },
    watches(target, path) {
      if (path === target || isInside(target, path)) return true;
      return isInside(path, target) && !ignoredBelow(target, path);
    },
    siblingsOf: (path) => byParent.get(dirname(path)),
    below(dir) {
      if (!ancestors.has(dir)) return [];
      const found: string[] = [];
      for (const target of refs.keys()) if (isInside(target, dir)) found.push(target);
      return found;
    },
    relevant: (path) => set.covers(path) || byParent.has(dirname(path)) || ancestors.has(path),
  };
  return set;
}
