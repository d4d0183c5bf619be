/**
 * `hotswap/watch`: the file-watcher trigger (dev mode). A subpath, so the core entry does not
 * load the watcher and its dependencies.
 */
export type { RuntimeWatcher, WatchRuntimeOptions } from './triggers/watch.js';
export { watchRuntime } from './triggers/watch.js';
export type { ChangeBatch, Watcher, WatcherOptions } from './triggers/watcher.js';
export { createWatcher } from './triggers/watcher.js';
