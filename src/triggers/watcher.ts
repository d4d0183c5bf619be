/**
 * The file watcher (layer 4 trigger): tells which files changed, never reloads anything itself.
 * Used by `hotswap run` (an app's source tree) and the config unit (a few files, Kubernetes
 * ConfigMap symlink swaps included).
 *
 * System events (one `fs.watch` per folder, see _folder-watch.ts) are hints only: they may come
 * late, doubled, or name a neighbour. The authority is a fingerprint of each file (`fs.stat`,
 * following symlinks) compared with the one last handed over. After the consumer returns, the
 * files it was given are fingerprinted again, so a write that landed between the event and the
 * consumer's read is handed over too: the last write always wins.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { resolve } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { HotswapError, isHotswapError, oneLine } from '../errors.js';
import { createFileIndex } from './_file-index.js';
import { createFolderWatch } from './_folder-watch.js';
import { findIndexLock, isGitBusy } from './_git-lock.js';
import { createSettle } from './_settle.js';
import { createTargetSet } from './_targets.js';

/** Files that changed since the previous batch, as absolute paths, each in one set only. */
export interface ChangeBatch {
  /** Files that exist before and after, with another fingerprint (content, times, symlink target). */
  readonly changed: ReadonlySet<string>;
  /** Files that did not exist (or were not watched) at the previous batch and exist now. */
  readonly added: ReadonlySet<string>;
  /** Files that existed at the previous batch and do not now. */
  readonly removed: ReadonlySet<string>;
  /** All of the above. */
  readonly files: ReadonlySet<string>;
}

/** Options of {@link createWatcher}. */
export interface WatcherOptions {
  /**
   * Files and folders to watch. Folders are watched recursively. Relative paths are resolved
   * against the current directory. A path may not exist yet: it is reported as added when it
   * appears. A file that is a symlink is compared by what it resolves to.
   */
  paths: readonly string[];
  /**
   * Extra paths to ignore below watched folders, called with absolute paths. Always ignored
   * below a watched folder: `node_modules`, `.git`, `dist`, and editors' swap, lock and backup
   * files. Paths given in {@link paths} themselves are never ignored.
   */
  ignored?: (path: string) => boolean;
  /**
   * Quiet time in ms after the last event before a batch is handed over; each event restarts it.
   * @default 3
   */
  settle?: number;
  /**
   * Hand the first change after a quiet spell over at once (at the end of the current turn of
   * the event loop), instead of after a quiet window; changes that arrive while that batch is
   * handled still wait for a quiet window and come as one batch. For development loops, where
   * latency matters: a save is served without waiting, a burst costs one extra batch. A file that
   * an event catches truncated to nothing, mid-write, is held back one quiet window.
   * @default false
   */
  leading?: boolean;
  /**
   * Longest time in ms from the first event to the batch, so a stream of events cannot starve
   * reloads. Exceeded only while git holds its index lock (a checkout in progress; see the
   * module notes), for at most 3 s.
   * @default 200
   */
  maxWait?: number;
  /**
   * Receives each batch, never concurrently: events that arrive during a call form the next
   * batch. May be async. An error it throws goes to {@link onError}; the watcher keeps going.
   */
  onBatch(batch: ChangeBatch): void | Promise<void>;
  /**
   * Receives errors: `HS_ERR_WATCHER_FAILED` for paths that cannot be watched or read (with the
   * system error as `cause`), and whatever {@link onBatch} threw, as thrown.
   * @default emits a process warning
   */
  onError?(err: unknown): void;
}

/** A running file watcher. Create with {@link createWatcher}. */
export interface Watcher {
  /**
   * Resolves once the initial paths are watched and fingerprinted. Read the files after it: a
   * change made after that point is always reported. Never rejects.
   */
  readonly ready: Promise<void>;
  /**
   * Watches more paths. Their current files are recorded, not reported. Resolves once they are
   * watched and fingerprinted; never rejects. Adding a watched path again counts a reference.
   */
  add(paths: readonly string[]): Promise<void>;
  /**
   * Stops watching paths (one reference each) and releases their system watchers, which the
   * returned promise waits for. Their files are forgotten, not reported as removed.
   */
  remove(paths: readonly string[]): Promise<void>;
  /** Stops for good: releases every system watcher and timer. No batch is handed over after. */
  close(): Promise<void>;
}

const DEFAULT_SETTLE_MS = 3;
const DEFAULT_MAX_WAIT_MS = 200;

/**
 * Creates a file watcher and starts watching `options.paths`.
 * @example
 * const watcher = createWatcher({
 *   paths: ['/app/src', '/etc/app/config.yaml'],
 *   async onBatch({ changed, added, removed }) {
 *     // Read the files here: a write that lands meanwhile comes in the next batch.
 *     console.log({ changed, added, removed });
 *   },
 *   onError: (err) => console.error(err),
 * });
 * await watcher.ready; // then load the app: any later change is reported
 * // ...
 * await watcher.close();
 */
/** Set while the consumer's `onBatch` runs (so `close()` called from it does not wait for it). */
const insideBatch = new AsyncLocalStorage<boolean>();

export function createWatcher(options: WatcherOptions): Watcher {
  const { onBatch } = options;
  const targets = createTargetSet(options.ignored);
  const index = createFileIndex(targets, (err) => report(watchFailure(err)));
  const folders = createFolderWatch({
    enters: (target, path) => targets.watches(target, path),
    onEvent: (path) => hint(path),
    onRewatch: (path) => {
      if (targets.has(path)) index.rewalk(path);
    },
    onError: (err, path) => report(watchFailure(err, path)),
  });
  const gitLocks = new Map<string, string>();
  let pending = new Set<string>();
  let closed = false;
  let closing: Promise<void> | undefined;
  /** The consumer's current `onBatch`, settled or not. */
  let inFlight: Promise<void> | undefined;
  // Seeding (add) and comparing (a round) take turns; the consumer's call runs outside, so it
  // may call add() or remove() without waiting on itself.
  let turn: Promise<unknown> = Promise.resolve();

  const scheduler = createSettle({
    settle: Math.max(0, options.settle ?? DEFAULT_SETTLE_MS),
    maxWait: Math.max(0, options.maxWait ?? DEFAULT_MAX_WAIT_MS),
    leading: options.leading === true,
    busy: () =>
      gitLocks.size === 0 ? Promise.resolve(false) : isGitBusy(new Set(gitLocks.values())),
    run: () => void round(),
    onError: (err) => report(watchFailure(err)),
  });

  function report(err: unknown): void {
    if (!options.onError) {
      process.emitWarning(err instanceof Error ? err : String(err));
      return;
    }
    try {
      options.onError(err);
    } catch (thrown) {
      // A throwing error handler is a bug in the caller: surface it, as EventEmitter does.
      queueMicrotask(() => {
        throw thrown;
      });
    }
  }

  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = turn.then(fn);
    turn = run.catch(() => undefined);
    return run;
  }

  function hint(path: string): void {
    if (closed || !targets.relevant(path)) return;
    // Only news extends the quiet window: a write's second event (truncate, then write) must not
    // delay the batch.
    if (pending.has(path)) return;
    pending.add(path);
    scheduler.poke();
  }

  /** Lets libuv finish closing released handles (its close phase comes before the 2nd check). */
  async function handlesClosed(): Promise<void> {
    await setImmediate();
    await setImmediate();
  }

  async function round(): Promise<void> {
    const hints = pending;
    pending = new Set();
    try {
      const changes = await exclusive(() => index.collect(hints));
      // A file caught truncated, mid-write, is looked at again after a quiet window.
      for (const path of changes.held) pending.add(path);
      const files = [...changes.changed, ...changes.added, ...changes.removed].sort();
      if (closed || files.length === 0) return;
      const batch: ChangeBatch = {
        changed: new Set(changes.changed),
        added: new Set(changes.added),
        removed: new Set(changes.removed),
        files: new Set(files),
      };
      try {
        const delivery = insideBatch.run(true, () => Promise.resolve().then(() => onBatch(batch)));
        inFlight = delivery.then(
          () => undefined,
          () => undefined,
        );
        await delivery;
      } catch (err) {
        report(err);
      }
      // Fingerprint what was handed over once more: a write that raced the consumer's read, or
      // whose event got lost, is handed over in the next batch.
      if (!closed) for (const path of [...changes.changed, ...changes.added]) pending.add(path);
    } catch (err) {
      report(watchFailure(err));
    } finally {
      scheduler.done(!closed && pending.size > 0);
    }
  }

  function add(paths: readonly string[]): Promise<void> {
    if (closed) return Promise.resolve();
    const fresh = paths.map((path) => resolve(path)).filter((path) => targets.add(path));
    return exclusive(async () => {
      // A path removed and added again before this turn is started once.
      const started = fresh.filter((t) => targets.has(t) && !closed);
      for (const target of started) folders.add(target);
      await Promise.all(
        started.map(async (target) => {
          const lock = await findIndexLock(target);
          if (closed || !targets.has(target)) return;
          if (lock) gitLocks.set(target, lock);
          await index.seed(target);
        }),
      );
    }).catch((err: unknown) => report(watchFailure(err)));
  }

  function remove(paths: readonly string[]): Promise<void> {
    for (const path of paths.map((p) => resolve(p))) {
      if (!targets.delete(path)) continue;
      gitLocks.delete(path);
      folders.remove(path);
    }
    return Promise.all([handlesClosed(), exclusive(async () => index.prune())]).then(
      () => undefined,
    );
  }

  function close(): Promise<void> {
    if (closing) return closing;
    // A batch already handed over finishes before close resolves, so after it no consumer code
    // runs; unless close is called from inside that very batch, which would wait for itself.
    const delivering = insideBatch.getStore() ? undefined : inFlight;
    closed = true;
    scheduler.close();
    pending.clear();
    folders.close();
    gitLocks.clear();
    closing = Promise.all([handlesClosed(), delivering])
      .then(() => exclusive(async () => index.clear()))
      .then(() => undefined);
    return closing;
  }

  return { ready: add(options.paths), add, remove, close };
}

/** Wraps a system error in `HS_ERR_WATCHER_FAILED`, naming the path. */
function watchFailure(err: unknown, fallbackPath?: string): unknown {
  if (isHotswapError(err)) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const path = (err as { path?: unknown } | null)?.path;
  const where = typeof path === 'string' ? path : fallbackPath;
  const hint =
    code === 'ENOSPC' || code === 'EMFILE'
      ? 'the system ran out of file watchers: raise fs.inotify.max_user_watches and ' +
        'max_user_instances (Linux), or watch fewer files'
      : undefined;
  const message = where ? `cannot watch ${where}: ${oneLine(err)}` : oneLine(err);
  return new HotswapError('HS_ERR_WATCHER_FAILED', message, { cause: err, hint });
}
