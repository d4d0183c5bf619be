/**
 * The system side of the watcher: one `fs.watch` per folder (inotify on Linux), never one per
 * file, and nothing read again when an event arrives. Events are only hints (see watcher.ts);
 * this module's job is that every folder that can hold a watched file is watched, as folders
 * come, go and are replaced.
 *
 * Why not chokidar (used before): it watches every file as well as every folder, and re-reads
 * the whole folder (an lstat per entry) after each event in it. With 1000 modules in one folder
 * that is 1000 lstat callbacks on the main thread right when the app reloads, measured at 2–5 ms
 * of every edit→served; and its throttles drop events, so we had to listen to its raw events and
 * fingerprint files ourselves anyway. What is left of its job is this file.
 *
 * Everything here is synchronous on purpose: a new folder is watched before the event that
 * announced it returns, so a file created in it afterwards has an event, and one created before
 * is found when the watcher walks the folder its hint names.
 */
import { type Dirent, type FSWatcher, lstatSync, readdirSync, statSync, watch } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { isAbsent } from './_fingerprint.js';

/** Options of {@link createFolderWatch}. */
export interface FolderWatchOptions {
  /**
   * Whether `path` (a folder or a file) concerns `target`: the target itself, the folders on
   * the way down to it, and what is below a folder target and not ignored.
   */
  enters(target: string, path: string): boolean;
  /** Something at `path` may have changed: an entry of a watched folder, or a watched path. */
  onEvent(path: string): void;
  /**
   * Folder `path` was watched afresh because it may have been replaced: whatever is in it now
   * must be walked, even if it looks like the folder it replaced (a folder removed and created
   * again often gets the same inode number back at once).
   */
  onRewatch(path: string): void;
  /** A path that cannot be watched (permissions, out of inotify watches). */
  onError(err: unknown, path: string): void;
}

/** Folders and symlinked files watched for a set of targets. */
export interface FolderWatch {
  /**
   * Watches what `target` needs: the nearest existing folder above it, the folders on the way
   * down to it, and every folder below it (symlinks followed). Adding a target twice is a no-op.
   */
  add(target: string): void;
  /** Stops watching what only `target` needed. The handles close in libuv's next close phase. */
  remove(target: string): void;
  /** Closes every handle. */
  close(): void;
  /** Open system watchers, for tests and diagnostics. */
  readonly size: number;
}

interface Handle {
  readonly watcher: FSWatcher;
  /** dev:ino of what the path resolved to when the handle was opened. */
  readonly id: string;
  /** Targets that need this path watched. */
  readonly owners: Set<string>;
}

/** Creates an empty folder watch. */
export function createFolderWatch(options: FolderWatchOptions): FolderWatch {
  const { enters, onEvent } = options;
  /** Watched folders, by path (a symlinked folder by its link path). */
  const folders = new Map<string, Handle>();
  /** Watched symlinks to files (a link's target may live outside every watched folder). */
  const links = new Map<string, Handle>();
  const targets = new Set<string>();
  let closed = false;

  function idOf(path: string): { id: string; dir: boolean } | undefined {
    try {
      const stats = statSync(path);
      return { id: `${stats.dev}:${stats.ino}`, dir: stats.isDirectory() };
    } catch (err) {
      if (!isAbsent(err)) options.onError(err, path);
      return undefined;
    }
  }

  function open(path: string, id: string, listener: (event: string, name: string | null) => void) {
    try {
      const watcher = watch(path, { persistent: true }, listener);
      const handle: Handle = { watcher, id, owners: new Set() };
      watcher.on('error', (err) => {
        // The path went away under the handle (or the system dropped it): forget it; the event
        // its parent folder gets brings it back if it is replaced.
        forget(path, handle);
        if (!isAbsent(err) && (err as { code?: string }).code !== 'EPERM') {
          options.onError(err, path);
        }
      });
      return handle;
    } catch (err) {
      if (!isAbsent(err)) options.onError(err, path);
      return undefined;
    }
  }

  function forget(path: string, handle: Handle): void {
    if (folders.get(path) === handle) folders.delete(path);
    if (links.get(path) === handle) links.delete(path);
    handle.watcher.close();
  }

  /** Watches folder `dir` for `target`, then what below it concerns `target`. */
  function enter(target: string, dir: string, seen: Set<string>): void {
    const found = idOf(dir);
    if (!found?.dir || seen.has(found.id)) return;
    seen.add(found.id);
    let handle = folders.get(dir);
    let inherited: Set<string> | undefined;
    if (handle && handle.id !== found.id) {
      // Replaced since it was watched: the old handle follows the old inode.
      inherited = handle.owners;
      forget(dir, handle);
      handle = undefined;
    }
    if (!handle) {
      handle = open(dir, found.id, (event, name) => onFolderEvent(dir, event, name));
      if (!handle) return;
      folders.set(dir, handle);
      for (const owner of inherited ?? []) handle.owners.add(owner);
    }
    handle.owners.add(target);
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      if (!isAbsent(err)) options.onError(err, dir);
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (!enters(target, path)) continue;
      if (entry.isDirectory()) enter(target, path, seen);
      else if (entry.isSymbolicLink()) follow(target, path, seen);
    }
  }

  /** A symlink that concerns `target`: a folder is entered, a file's target watched. */
  function follow(target: string, path: string, seen: Set<string>): void {
    const found = idOf(path);
    if (found?.dir) enter(target, path, seen);
    else if (found) watchLink(target, path, found.id);
  }

  function watchLink(target: string, path: string, id: string): void {
    let handle = links.get(path);
    let inherited: Set<string> | undefined;
    if (handle && handle.id !== id) {
      inherited = handle.owners;
      forget(path, handle);
      handle = undefined;
    }
    if (!handle) {
      handle = open(path, id, () => onLinkEvent(path));
      if (!handle) return;
      links.set(path, handle);
      for (const owner of inherited ?? []) handle.owners.add(owner);
    }
    handle.owners.add(target);
  }

  /**
   * Brings what is watched at `path` (an entry of a watched folder, named by a rename event) in
   * line with the disk. A folder is watched afresh even when it looks unchanged: its handle may
   * follow a deleted folder whose inode number the new one got back at once.
   */
  function refresh(path: string, owners: Iterable<string>): void {
    const concerned = [...owners].filter((target) => enters(target, path));
    if (concerned.length === 0) return;
    const found = idOf(path);
    const folder = folders.get(path);
    if (!folder && !links.has(path)) {
      // The common case, a file created or deleted: nothing is watched at or below it.
      if (found?.dir) for (const target of concerned) enter(target, path, new Set());
      else if (found && isSymlink(path))
        for (const target of concerned) watchLink(target, path, found.id);
      return;
    }
    // Close every handle at or below the path; whoever used them watches again from the disk.
    const affected = new Set(concerned);
    for (const table of [folders, links]) {
      for (const [watched, handle] of table) {
        if (watched !== path && !watched.startsWith(`${path}${sep}`)) continue;
        for (const owner of handle.owners) affected.add(owner);
        forget(watched, handle);
      }
    }
    if (found?.dir) {
      for (const target of affected) enter(target, path, new Set());
      if (folder) options.onRewatch(path);
    } else if (found && isSymlink(path)) {
      for (const target of affected) watchLink(target, path, found.id);
    }
    // A folder on the way to a target went away: watch from the nearest one left.
    if (folder) for (const target of affected) anchor(target);
  }

  /** Watches from the nearest existing folder above `target` again if nothing is watched for it. */
  function anchor(target: string): void {
    if (closed || !targets.has(target)) return;
    for (const handle of folders.values()) if (handle.owners.has(target)) return;
    let start = dirname(target);
    while (!idOf(start)?.dir && dirname(start) !== start) start = dirname(start);
    enter(target, start, new Set());
  }

  function onLinkEvent(path: string): void {
    if (closed) return;
    onEvent(path);
    // The file behind the link was replaced (saved by rename): watch the new one.
    const handle = links.get(path);
    if (handle && idOf(path)?.id !== handle.id) refresh(path, handle.owners);
  }

  function onFolderEvent(dir: string, event: string, name: string | null): void {
    if (closed) return;
    const handle = folders.get(dir);
    if (!name) {
      onEvent(dir);
      return;
    }
    const path = join(dir, name);
    onEvent(path);
    // A folder's own handle names the folder itself when the folder is deleted or moved away.
    if (name === basename(dir)) onEvent(dir);
    if (!handle) return;
    if (event === 'rename') {
      refresh(path, handle.owners);
      if (name === basename(dir)) {
        const parent = folders.get(dirname(dir));
        refresh(dir, parent ? parent.owners : handle.owners);
      }
    }
    // A link in this folder may resolve elsewhere now (a ConfigMap's `..data` swapped next to it).
    for (const [link, linked] of links) {
      if (dirname(link) !== dir || link === path) continue;
      const now = idOf(link);
      if (now?.id !== linked.id) refresh(link, linked.owners);
    }
  }

  return {
    add(target) {
      if (closed || targets.has(target)) return;
      targets.add(target);
      // The nearest existing folder above the target sees it appear, vanish or be replaced.
      anchor(target);
    },
    remove(target) {
      if (!targets.delete(target)) return;
      for (const table of [folders, links]) {
        for (const [path, handle] of table) {
          handle.owners.delete(target);
          if (handle.owners.size === 0) forget(path, handle);
        }
      }
    },
    close() {
      closed = true;
      for (const [path, handle] of [...folders, ...links]) forget(path, handle);
      targets.clear();
    },
    get size() {
      return folders.size + links.size;
    },
  };
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
