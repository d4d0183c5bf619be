/**
 * The thread side of a thread worker (`createWorker({ thread })`): safe points for code running
 * inside a `worker_threads` worker. The parent posts `pause` / `resume` / `stop`; the thread
 * answers `paused` once its code waits at a safe point.
 *
 * Kept apart from `workers.ts` so a thread loads only this small file and the error catalogue.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { PauseGate } from './_pause-gate.js';

/**
 * Key of hotswap's control messages between a thread worker and its parent.
 * @example
 * thread.postMessage({ [workerControlKey]: 'pause' }); // what the parent sends
 */
export const workerControlKey = 'hotswap.worker';

/** A control message word: parent → thread `pause`/`resume`/`stop`, thread → parent `paused`. */
export type WorkerControl = 'pause' | 'resume' | 'stop' | 'paused';

/**
 * True for a hotswap control message (other messages belong to the app).
 * @example
 * parentPort.on('message', (m) => { if (!isWorkerControl(m)) handleAppMessage(m); });
 */
export function isWorkerControl(
  message: unknown,
): message is { [workerControlKey]: WorkerControl } {
  return (
    typeof message === 'object' &&
    message !== null &&
    typeof (message as Record<string, unknown>)[workerControlKey] === 'string'
  );
}

/** What code inside a thread worker uses for its safe points. */
export interface ThreadContext {
  /** Aborted when the parent stops the worker: end the loop, and the thread exits. */
  readonly signal: AbortSignal;
  /** The `workerData` the parent passed. */
  readonly workerData: unknown;
  /** A safe point: returns at once unless the parent asked for a pause. */
  checkpoint(): Promise<void>;
  /** Waits `ms` at a safe point; ends early on stop. */
  sleep(ms: number): Promise<void>;
}

let context: ThreadContext | undefined;

/**
 * The safe-point context of the current thread worker (one per thread).
 * @example
 * // poller.thread.ts, started by createWorker({ name: 'poller', thread: new URL(...) })
 * const ctx = workerThreadContext();
 * while (!ctx.signal.aborted) {
 *   await ctx.checkpoint();
 *   doWork();
 *   await ctx.sleep(100);
 * }
 */
export function workerThreadContext(): ThreadContext {
  if (context) return context;
  const port = parentPort;
  if (isMainThread || port === null) {
    throw new Error('workerThreadContext() must be called inside a worker thread');
  }
  const gate = new PauseGate();
  const controller = new AbortController();
  const signal = controller.signal;
  // The thread's code is busy from the start until it reaches its first safe point.
  gate.enter();
  port.on('message', (message: unknown) => {
    if (!isWorkerControl(message)) return;
    const control = message[workerControlKey];
    if (control === 'pause') {
      // While paused nothing but the port may be pending: keep the thread alive for resume.
      port.ref();
      void gate.request().then(() => {
        if (gate.requested) port.postMessage({ [workerControlKey]: 'paused' });
      });
    } else if (control === 'resume') {
      gate.release();
      port.unref();
    } else if (control === 'stop') {
      controller.abort();
      gate.release();
      port.unref();
    }
  });
  // The control listener alone must not keep a finished thread alive.
  port.unref();
  context = {
    signal,
    workerData,
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
  return context;
}
