/**
 * Worker units: long-running async loops, intervals and `worker_threads` workers. Before a reload
 * commits, every worker is paused at a safe point (`await ctx.checkpoint()`, `ctx.sleep()`, the
 * end of a tick) and it resumes after; a worker that cannot pause in time aborts the reload. A
 * worker that dies is restarted with exponential backoff, unless declared not restartable.
 *
 * A worker's own code does not change on reload: what it calls does. Call into handles
 * (`handle.current`, delegates) from the loop, so each iteration runs the live version.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { type WorkerOptions as ThreadOptions, Worker } from 'node:worker_threads';
import { HotswapError, oneLine, serializeError } from '../errors.js';
import { createScope, type Scope } from '../scope.js';
import { PauseGate } from './_pause-gate.js';
import type { PauseOptions, PreparedChange, Unit, UnitHost, UnitStatus } from './unit.js';
import { isWorkerControl, type WorkerControl, workerControlKey } from './worker-thread.js';

/** What a worker's code is given on each run. */
export interface WorkerContext {
  /** The worker's name. */
  readonly name: string;
  /** Aborted when the worker is stopped (runtime close, unit removed): end the loop. */
  readonly signal: AbortSignal;
  /** This run's scope: what it starts ends when the run ends (death, stop). */
  readonly scope: Scope;
  /** Restarts so far (0 on the first run). */
  readonly restarts: number;
  /**
   * A safe point: returns at once unless a reload wants the worker paused, then waits until the
   * reload is done. Call it where no work is half done.
   */
  checkpoint(): Promise<void>;
  /** Waits `ms` at a safe point (a reload may pause the worker meanwhile); ends early on stop. */
  sleep(ms: number): Promise<void>;
}

/** How a dead worker comes back. */
export interface RestartPolicy {
  /** Milliseconds before the first restart. @default 100 */
  initialDelay?: number;
  /** Each consecutive death multiplies the delay by this. @default 2 */
  factor?: number;
  /** Longest delay. @default 30000 */
  maxDelay?: number;
  /** Restarts allowed before the worker stays dead. @default Infinity */
  maxRestarts?: number;
  /** A run that lived this many milliseconds resets the delay. @default maxDelay */
  resetAfter?: number;
}

/** Options shared by every kind of worker. */
export interface WorkerCommonOptions {
  /** Unique unit name. */
  name: string;
  /** Units that load before this worker starts. @default [] */
  dependsOn?: readonly string[];
  /** `false`: a worker that dies stays dead (reported). @default true (default policy) */
  restart?: boolean | RestartPolicy;
  /** Milliseconds to reach a safe point before a reload is aborted. @default the runtime's */
  pauseTimeout?: number;
  /** `false`: reloads do not wait for this worker (it has no safe points). @default true */
  pausable?: boolean;
  /** Milliseconds `close()` waits for a run to end (a thread is then terminated). @default 5000 */
  stopTimeout?: number;
}

/** A long-running async loop. */
export interface LoopWorkerOptions extends WorkerCommonOptions {
  /** The loop. Returning ends the worker (`finished`); throwing kills it (restart policy). */
  run(ctx: WorkerContext): void | PromiseLike<void>;
}

/** A function run every `every` milliseconds, never overlapping itself. */
export interface IntervalWorkerOptions extends WorkerCommonOptions {
  /** Milliseconds between the end of one tick and the start of the next. */
  every: number;
  /** One tick. Throwing kills the worker (restart policy). */
  tick(ctx: WorkerContext): void | PromiseLike<void>;
  /** Run the first tick at once instead of after `every`. @default false */
  immediate?: boolean;
}

/** A `worker_threads` worker that uses `workerThreadContext()` for its safe points. */
export interface ThreadWorkerOptions extends WorkerCommonOptions {
  /** The thread's entry file. */
  thread: string | URL;
  /** `workerData` for the thread. */
  workerData?: unknown;
  /** Other `new Worker()` options. */
  threadOptions?: Omit<ThreadOptions, 'workerData'>;
  /** Messages the thread posts that are not hotswap's own. */
  onMessage?(message: unknown): void;
}

/** Options of {@link createWorker}. */
export type WorkerUnitOptions = LoopWorkerOptions | IntervalWorkerOptions | ThreadWorkerOptions;

/**
 * Where a worker is: `idle` (not started yet), `running`, `pausing`, `paused`, `backoff` (dead,
 * restart scheduled), `dead` (not restarted), `finished` (its loop returned), `stopped`.
 */
export type WorkerState =
  | 'idle'
  | 'running'
  | 'pausing'
  | 'paused'
  | 'backoff'
  | 'dead'
  | 'finished'
  | 'stopped';

/** A worker unit made by {@link createWorker}. */
export interface WorkerUnit extends Unit {
  readonly kind: 'worker';
  /** Where the worker is. */
  readonly state: WorkerState;
  /** Restarts so far. */
  readonly restarts: number;
  /** The error of the last death. */
  readonly lastError: unknown;
  /** The running thread (thread workers). */
  readonly thread: Worker | undefined;
  prepare(): Promise<PreparedChange | undefined>;
  pause(options: PauseOptions): Promise<void>;
  resume(): void;
  status(): UnitStatus;
  /** Stops the worker for good. */
  close(): Promise<void>;
}

type Mode = 'loop' | 'interval' | 'thread';

interface Run {
  readonly controller: AbortController;
  readonly scope: Scope;
  readonly startedAt: number;
  thread?: Worker;
  pauseAck?: () => void;
  ended?: Promise<void>;
}

const defaultPolicy: Required<RestartPolicy> = {
  initialDelay: 100,
  factor: 2,
  maxDelay: 30_000,
  maxRestarts: Number.POSITIVE_INFINITY,
  resetAfter: 30_000,
};

class WorkerUnitImpl implements WorkerUnit {
  readonly name: string;
  readonly kind = 'worker' as const;
  readonly dependsOn: readonly string[];
  readonly pauseTimeout: number | undefined;
  readonly #options: WorkerUnitOptions;
  readonly #mode: Mode;
  readonly #policy: Required<RestartPolicy> | undefined;
  readonly #gate = new PauseGate();
  #state: WorkerState = 'idle';
  #generation = 0;
  #restarts = 0;
  #attempt = 0;
  #lastError: unknown;
  #host: UnitHost | undefined;
  #run: Run | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  // A start or restart that came due while a reload held the worker paused.
  #pendingStart = false;
  #held = false;
  #closed = false;

  constructor(options: WorkerUnitOptions) {
    this.name = options.name;
    this.dependsOn = [...(options.dependsOn ?? [])];
    this.pauseTimeout = options.pauseTimeout;
    this.#options = options;
    this.#mode = 'thread' in options ? 'thread' : 'every' in options ? 'interval' : 'loop';
    const restart = options.restart ?? true;
    if (restart === false) this.#policy = undefined;
    else {
      const given = restart === true ? {} : restart;
      const maxDelay = given.maxDelay ?? defaultPolicy.maxDelay;
      this.#policy = { ...defaultPolicy, resetAfter: maxDelay, ...given, maxDelay };
    }
  }

  get generation(): number {
    return this.#generation;
  }

  get state(): WorkerState {
    return this.#state;
  }

  get restarts(): number {
    return this.#restarts;
  }

  get lastError(): unknown {
    return this.#lastError;
  }

  get thread(): Worker | undefined {
    return this.#run?.thread;
  }

  attach(host: UnitHost): void {
    this.#host = host;
  }

  async prepare(): Promise<PreparedChange | undefined> {
    if (this.#generation > 0 || this.#closed) return undefined;
    return {
      outcome: 'added',
      summary: this.#mode,
      commit: () => {
        this.#generation = 1;
        if (this.#held) this.#pendingStart = true;
        else this.#launch();
      },
      rollback: async () => {
        this.#pendingStart = false;
        await this.#stop();
        this.#generation = 0;
        this.#state = 'idle';
      },
      discard: () => {},
    };
  }

  async pause(options: PauseOptions): Promise<void> {
    this.#held = true;
    const run = this.#run;
    if (run === undefined || this.#options.pausable === false) return;
    this.#state = 'pausing';
    const reached =
      this.#mode === 'thread' ? this.#pauseThread(run) : this.#gate.request().then(() => {});
    await abortable(reached, options.signal);
    if (this.#run === run && this.#held) this.#state = 'paused';
  }

  resume(): void {
    this.#held = false;
    this.#gate.release();
    const run = this.#run;
    if (run?.thread) {
      run.pauseAck = undefined;
      post(run.thread, 'resume');
    }
    if (run && (this.#state === 'paused' || this.#state === 'pausing')) this.#state = 'running';
    if (this.#pendingStart && !this.#closed) {
      this.#pendingStart = false;
      if (this.#state === 'backoff') this.#restart();
      else this.#launch();
    }
  }

  status(): UnitStatus {
    const status: UnitStatus = {
      name: this.name,
      kind: this.kind,
      generation: this.#generation,
      state: this.#state,
      details: {
        mode: this.#mode,
        restarts: this.#restarts,
        restartable: this.#policy !== undefined,
      },
    };
    if (this.#lastError !== undefined) status.lastError = serializeError(this.#lastError);
    return status;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#pendingStart = false;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    await this.#stop();
    this.#state = 'stopped';
  }

  #launch(): void {
    const controller = new AbortController();
    const run: Run = {
      controller,
      scope: createScope(`${this.name}#${this.#restarts}`),
      startedAt: performance.now(),
    };
    this.#run = run;
    this.#state = 'running';
    let ended: Promise<void>;
    try {
      ended = this.#mode === 'thread' ? this.#startThread(run) : this.#startLoop(run);
    } catch (err) {
      ended = Promise.reject(err);
    }
    run.ended = ended.then(
      () => this.#ended(run, undefined, false),
      (err: unknown) => this.#ended(run, err, true),
    );
  }

  async #startLoop(run: Run): Promise<void> {
    const gate = this.#gate;
    const signal = run.controller.signal;
    const ctx: WorkerContext = {
      name: this.name,
      signal,
      scope: run.scope,
      restarts: this.#restarts,
      checkpoint: () => gate.checkpoint(),
      sleep: async (ms) => {
        gate.leave();
        try {
          await delay(ms, undefined, { signal }).catch(() => {});
          while (gate.requested && !signal.aborted) await gate.whenReleased();
        } finally {
          gate.enter();
        }
      },
    };
    gate.enter();
    try {
      if (this.#mode === 'loop') {
        await (this.#options as LoopWorkerOptions).run(ctx);
        return;
      }
      const { every, tick, immediate } = this.#options as IntervalWorkerOptions;
      if (!immediate) await ctx.sleep(every);
      while (!signal.aborted) {
        await tick(ctx);
        if (signal.aborted) break;
        await ctx.sleep(every);
      }
    } finally {
      gate.leave();
    }
  }

  #startThread(run: Run): Promise<void> {
    const options = this.#options as ThreadWorkerOptions;
    const thread = new Worker(options.thread, {
      ...options.threadOptions,
      workerData: options.workerData,
    });
    run.thread = thread;
    return new Promise<void>((resolve, reject) => {
      let failure: unknown;
      thread.on('message', (message: unknown) => {
        if (isWorkerControl(message)) {
          if (message[workerControlKey] === 'paused') run.pauseAck?.();
          return;
        }
        try {
          options.onMessage?.(message);
        } catch (err) {
          this.#host?.log.error({ err, unit: this.name }, 'worker onMessage threw');
        }
      });
      thread.once('error', (err) => {
        failure = err;
      });
      thread.once('exit', (code) => {
        run.pauseAck?.();
        if (failure !== undefined) reject(failure);
        else if (code !== 0 && !run.controller.signal.aborted) {
          reject(new Error(`thread exited with code ${code}`));
        } else resolve();
      });
    });
  }

  #pauseThread(run: Run): Promise<void> {
    const thread = run.thread;
    if (thread === undefined) return Promise.resolve();
    return new Promise<void>((resolve) => {
      run.pauseAck = resolve;
      post(thread, 'pause');
    });
  }

  #ended(run: Run, error: unknown, died: boolean): void {
    if (this.#run !== run) return;
    this.#run = undefined;
    void run.scope.dispose().then(({ errors }) => {
      for (const err of errors) {
        this.#host?.log.warn({ err, unit: this.name }, 'worker run scope did not end cleanly');
      }
    });
    if (run.controller.signal.aborted) {
      this.#state = 'stopped';
      return;
    }
    if (!died) {
      this.#state = 'finished';
      return;
    }
    this.#died(run, error);
  }

  #died(run: Run, cause: unknown): void {
    this.#lastError = new HotswapError(
      'HS_ERR_WORKER_DIED',
      `worker ${this.name} died: ${oneLine(cause)}`,
      { unit: this.name, cause },
    );
    const policy = this.#policy;
    if (policy && performance.now() - run.startedAt >= policy.resetAfter) this.#attempt = 0;
    if (policy === undefined || this.#restarts >= policy.maxRestarts || this.#closed) {
      this.#state = 'dead';
      this.#notify({
        type: 'worker-died',
        error: this.#lastError,
        restarts: this.#restarts,
        restart: false,
      });
      return;
    }
    const wait = Math.min(policy.initialDelay * policy.factor ** this.#attempt, policy.maxDelay);
    this.#attempt++;
    this.#state = 'backoff';
    this.#notify({
      type: 'worker-died',
      error: this.#lastError,
      restarts: this.#restarts,
      restart: true,
      delay: wait,
    });
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#closed) return;
      // A restart never starts in the middle of a reload: it waits for resume().
      if (this.#held) this.#pendingStart = true;
      else this.#restart();
    }, wait);
  }

  #restart(): void {
    this.#restarts++;
    this.#launch();
    this.#notify({ type: 'worker-restarted', restarts: this.#restarts });
  }

  async #stop(): Promise<void> {
    const run = this.#run;
    if (run === undefined) return;
    run.controller.abort();
    // A paused run must see the abort, so let every safe point go.
    this.#gate.release();
    if (run.thread) post(run.thread, 'stop');
    const timeout = this.#options.stopTimeout ?? 5_000;
    const timer = new AbortController();
    const ended = run.ended ?? Promise.resolve();
    const inTime = await Promise.race([
      ended.then(() => true),
      delay(timeout, false, { signal: timer.signal }).catch(() => false),
    ]);
    timer.abort();
    if (!inTime) {
      if (run.thread) await run.thread.terminate();
      else {
        this.#host?.log.warn(
          { unit: this.name, timeout },
          'worker did not stop in time; it is abandoned (its loop ignores ctx.signal)',
        );
      }
      if (this.#run === run) this.#run = undefined;
      void run.scope.dispose();
    }
  }

  #notify(notice: Parameters<UnitHost['notify']>[0]): void {
    try {
      this.#host?.notify(notice);
    } catch {
      // notify never throws; a broken host must not kill the restart logic.
    }
  }
}

function post(thread: Worker, control: WorkerControl): void {
  try {
    thread.postMessage({ [workerControlKey]: control });
  } catch {
    // The thread already exited; its exit event settles whatever waits on it.
  }
}

function abortable(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/**
 * Creates a worker unit: a loop (`run`), an interval (`every` + `tick`) or a thread (`thread`).
 * Add it to a runtime; the next reload starts it (outcome `added`).
 * @example
 * runtime.add(createWorker({
 *   name: 'poller',
 *   async run(ctx) {
 *     while (!ctx.signal.aborted) {
 *       await ctx.checkpoint();            // reloads pause here
 *       await feeds.current.poll();        // always the live version
 *       await ctx.sleep(1000);
 *     }
 *   },
 * }));
 */
export function createWorker(options: WorkerUnitOptions): WorkerUnit {
  return new WorkerUnitImpl(options);
}
