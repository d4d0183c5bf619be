/**
 * The file-watcher trigger (dev mode): watches what every unit of a runtime was read from
 * (`unit.watchPaths()`: the code unit's app folder, config files, command folders) and turns each
 * batch of changes into one `runtime.reload({ changedFiles })`. The watcher makes the last write
 * win; the runtime serialises and coalesces reloads. Units added later are watched too.
 */
import type { ReloadReport } from '../runtime/report.js';
import type { Runtime } from '../runtime/runtime.js';
import { createWatcher, type Watcher } from './watcher.js';

/** Options of {@link watchRuntime}. */
export interface WatchRuntimeOptions {
  /** Quiet window before a batch is handed over, in milliseconds. @default the watcher's (3) */
  settle?: number;
  /**
   * Reload on the first save after a quiet spell at once, without waiting for a quiet window
   * (what `hotswap run` does). Saves that arrive during that reload still come as one batch,
   * but a multi-file save may then reload twice, the first time with only part of it.
   * @default false
   */
  leading?: boolean;
  /** Called with each reload's report. */
  onReport?(report: ReloadReport): void;
  /** Called when watching fails (a path that cannot be watched). @default logs a warning */
  onError?(err: unknown): void;
}

/** A running watcher trigger. */
export interface RuntimeWatcher {
  /** Resolves when every path is watched. */
  readonly ready: Promise<void>;
  /** Stops watching. */
  close(): Promise<void>;
}

/**
 * Reloads `runtime` whenever a file one of its units was read from changes.
 * @example
 * const watching = watchRuntime(runtime, { onReport: (r) => console.log(r.summary) });
 * await watching.ready;
 */
export function watchRuntime(runtime: Runtime, options: WatchRuntimeOptions = {}): RuntimeWatcher {
  const watched = new Set<string>();
  const onError =
    options.onError ??
    ((err: unknown) => runtime.log.warn({ err }, 'file watcher trigger: cannot watch a path'));
  const watcher: Watcher = createWatcher({
    paths: [],
    ...(options.settle === undefined ? {} : { settle: options.settle }),
    leading: options.leading === true,
    onBatch: async (batch) => {
      const files = [...batch.files];
      const detail = files.length === 1 ? files[0] : `${files[0]} +${files.length - 1} more`;
      const report = await runtime.reload({
        changedFiles: files,
        trigger: { kind: 'watcher', detail },
      });
      options.onReport?.(report);
    },
    onError,
  });

  const sync = (): Promise<void> => {
    const wanted = new Set(runtime.units().flatMap((unit) => [...(unit.watchPaths?.() ?? [])]));
    const added = [...wanted].filter((p) => !watched.has(p));
    const removed = [...watched].filter((p) => !wanted.has(p));
    for (const p of added) watched.add(p);
    for (const p of removed) watched.delete(p);
    return Promise.all([
      added.length > 0 ? watcher.add(added) : undefined,
      removed.length > 0 ? watcher.remove(removed) : undefined,
    ]).then(() => undefined);
  };

  const offAdded = runtime.on('unit-added', () => void sync().catch(onError));
  const offRemoved = runtime.on('unit-removed', () => void sync().catch(onError));
  const ready = Promise.all([watcher.ready, sync()]).then(() => undefined);
  return {
    ready,
    async close() {
      offAdded();
      offRemoved();
      await watcher.close();
    },
  };
}
