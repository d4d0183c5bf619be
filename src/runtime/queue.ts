/**
 * One transaction at a time. Reload requests that arrive while one runs are merged into a single
 * follow-up (their units, files and triggers united), and every caller of the merged request
 * gets its report. Rollbacks and registration changes queue as exclusive tasks, never merged.
 *
 * A request made by code that runs inside a transaction (a command handler asking for a reload,
 * a config subscription, a unit hook) is queued the same way: it never runs inside the current
 * one, so it cannot deadlock on it; its promise resolves with the follow-up's report. (Awaiting
 * that promise inside the transaction itself would wait forever, as with any lock; `inside`
 * tells when that is the case.)
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Trigger } from '../units/unit.js';

/** One call of `runtime.reload()`, normalised. */
export interface ReloadRequest {
  /** Units asked for; undefined for all. */
  units?: readonly string[];
  /** Whether the units that depend on `units` come too. */
  dependents: boolean;
  /** Who asked. */
  trigger: Trigger;
  /** Files known to have changed; undefined or empty when unknown. */
  changedFiles?: ReadonlySet<string>;
}

/** Every request merged into one transaction. */
export interface MergedRequest {
  /** Who asked, first asker first. */
  triggers: Trigger[];
  /** True when some request asked for every unit. */
  all: boolean;
  /** Units asked for by name, each with whether its dependents come too. */
  units: Map<string, boolean>;
  /** Union of changed files; undefined when some request did not know (check everything). */
  changedFiles: Set<string> | undefined;
}

/** The reload queue of one runtime. Create with {@link createReloadQueue}. */
export interface ReloadQueue<R> {
  /** Queues a reload request, merged with a waiting one when there is one. */
  reload(request: ReloadRequest): Promise<R>;
  /** Queues an exclusive task (rollback, remove, close). */
  task<T>(run: () => Promise<T>): Promise<T>;
  /** True while a job runs. */
  readonly busy: boolean;
  /** Jobs waiting. */
  readonly pending: number;
  /** True when called from code running inside a job of this queue. */
  readonly inside: boolean;
  /** Resolves when nothing runs or waits. */
  idle(): Promise<void>;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

type Job<R> =
  | { kind: 'reload'; merged: MergedRequest; done: Deferred<R> }
  | { kind: 'task'; run: () => Promise<unknown>; done: Deferred<unknown> };

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Starts a merged request from one request. */
export function mergeRequest(request: ReloadRequest, into?: MergedRequest): MergedRequest {
  const merged: MergedRequest = into ?? {
    triggers: [],
    all: false,
    units: new Map(),
    changedFiles: new Set(),
  };
  merged.triggers.push(request.trigger);
  if (request.units === undefined) merged.all = true;
  else {
    for (const name of request.units) {
      merged.units.set(name, (merged.units.get(name) ?? false) || request.dependents);
    }
  }
  const files = request.changedFiles;
  // One request that does not know what changed makes every unit check everything.
  if (files === undefined || files.size === 0) merged.changedFiles = undefined;
  else if (merged.changedFiles !== undefined) for (const f of files) merged.changedFiles.add(f);
  return merged;
}

/**
 * Creates a queue that runs `runReload` for each merged reload request, one job at a time.
 * @example
 * const queue = createReloadQueue((merged) => transaction(merged));
 * const [a, b, c] = [queue.reload(r1), queue.reload(r2), queue.reload(r3)];
 * // r1 runs at once; r2 and r3 are merged into one follow-up: b and c resolve the same report.
 */
export function createReloadQueue<R>(
  runReload: (merged: MergedRequest) => Promise<R>,
): ReloadQueue<R> {
  const storage = new AsyncLocalStorage<Job<R>>();
  const waiting: Job<R>[] = [];
  const idlers: Array<() => void> = [];
  let running: Job<R> | undefined;

  const pump = (): void => {
    if (running) return;
    const job = waiting.shift();
    if (job === undefined) {
      for (const wake of idlers.splice(0)) wake();
      return;
    }
    running = job;
    let result: Promise<unknown>;
    try {
      result = storage.run(job, () => (job.kind === 'reload' ? runReload(job.merged) : job.run()));
    } catch (err) {
      result = Promise.reject(err);
    }
    // Free the queue before settling, so a caller resuming on the result sees it idle.
    result.then(
      (value) => {
        running = undefined;
        (job.done as Deferred<unknown>).resolve(value);
        pump();
      },
      (err: unknown) => {
        running = undefined;
        job.done.reject(err);
        pump();
      },
    );
  };

  return {
    reload(request) {
      const tail = waiting[waiting.length - 1];
      if (tail?.kind === 'reload') {
        mergeRequest(request, tail.merged);
        return tail.done.promise;
      }
      const job: Job<R> = { kind: 'reload', merged: mergeRequest(request), done: deferred<R>() };
      waiting.push(job);
      pump();
      return job.done.promise;
    },
    task<T>(run: () => Promise<T>): Promise<T> {
      const done = deferred<unknown>();
      waiting.push({ kind: 'task', run, done });
      pump();
      return done.promise as Promise<T>;
    },
    get busy() {
      return running !== undefined;
    },
    get pending() {
      return waiting.length;
    },
    get inside() {
      return storage.getStore() !== undefined;
    },
    idle() {
      if (running === undefined && waiting.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idlers.push(resolve));
    },
  };
}
