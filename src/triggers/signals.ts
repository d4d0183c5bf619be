/**
 * Signal triggers (layer 4): turn process signals into calls, one at a time. SIGHUP is the Unix
 * convention for "re-read your configuration"; SIGUSR2 is free for an app's own use.
 *
 * Each signal's handler runs alone: a signal that arrives while its handler runs is not lost and
 * does not start a second run; every such arrival coalesces into one follow-up run once the
 * current one ends (three SIGHUPs during a reload make one more reload, not three). Different
 * signals are independent: each has its own queue.
 *
 * Like every trigger, a signal handler carries no code: it asks for a reload, e.g.
 * `runtime.reload({ trigger: { kind: 'signal', by: 'SIGHUP' } })`.
 */
import type { EmitterLike } from '../scope.js';

/** What a handler learns about the signal it runs for. */
export interface SignalRun {
  /** The signal. */
  readonly signal: NodeJS.Signals;
  /** How many further arrivals this run stands for (0 for a first run, ≥ 1 for a follow-up). */
  readonly coalesced: number;
}

/** Runs for one signal. An error it throws (or rejects with) goes to `onError`. */
export type SignalHandler = (run: SignalRun) => void | Promise<void>;

/** Options of {@link installSignalTriggers}. */
export interface SignalTriggerOptions {
  /**
   * Receives what a handler threw, with the signal; the trigger keeps listening.
   * @default emits a process warning
   */
  onError?(err: unknown, signal: NodeJS.Signals): void;
  /** Where signals are listened for. @default process */
  target?: EmitterLike;
}

/** Removes the listeners and resolves once running handlers end (queued follow-ups are dropped). */
export type SignalTriggersDisposer = () => Promise<void>;

// Signals no listener can catch, or that would fight the runtime's own use.
const uncatchable = new Set(['SIGKILL', 'SIGSTOP']);

/**
 * Listens for the given signals and runs their handlers, serialised and coalesced per signal.
 * Throws a `TypeError` for a signal that cannot be caught. Installing a listener replaces the
 * signal's default action (for SIGHUP: ending the process) until the disposer runs.
 * @example
 * const dispose = installSignalTriggers(
 *   { SIGHUP: () => config.reload({ trigger: { kind: 'signal', by: 'SIGHUP' } }).then(() => {}) },
 *   { onError: (err) => log.error({ err }, 'reload on SIGHUP failed') },
 * );
 * // later, on shutdown:
 * await dispose();
 */
export function installSignalTriggers(
  handlers: Partial<Record<NodeJS.Signals, SignalHandler>>,
  options: SignalTriggerOptions = {},
): SignalTriggersDisposer {
  const target = options.target ?? process;
  const onError =
    options.onError ??
    ((err: unknown, signal: NodeJS.Signals) =>
      process.emitWarning(
        `hotswap: the ${signal} handler failed: ${String((err as Error)?.message ?? err)}`,
      ));
  let disposed = false;
  const installed: { signal: NodeJS.Signals; listener: () => void; idle: () => Promise<void> }[] =
    [];

  for (const [signal, handler] of Object.entries(handlers) as [
    NodeJS.Signals,
    SignalHandler | undefined,
  ][]) {
    if (!handler) continue;
    if (uncatchable.has(signal)) throw new TypeError(`${signal} cannot be caught`);
    // `busy` is set before the handler starts: a handler that throws synchronously ends its
    // run before `drive()` even returns, so the promise alone cannot say whether one is running.
    let busy = false;
    let running: Promise<void> = Promise.resolve();
    let pending = 0;
    const drive = async (): Promise<void> => {
      let coalesced = 0;
      try {
        do {
          try {
            await handler({ signal, coalesced });
          } catch (err) {
            try {
              onError(err, signal);
            } catch {
              // An error reporter that throws must not stop the trigger.
            }
          }
          coalesced = pending;
          pending = 0;
        } while (coalesced > 0 && !disposed);
      } finally {
        busy = false;
      }
    };
    const listener = (): void => {
      if (disposed) return;
      if (busy) {
        pending++;
        return;
      }
      busy = true;
      running = drive();
    };
    target.on(signal, listener);
    installed.push({ signal, listener, idle: () => running });
  }

  return async () => {
    if (disposed) return;
    disposed = true;
    for (const { signal, listener } of installed) {
      if (typeof target.off === 'function') target.off(signal, listener);
      else target.removeListener?.(signal, listener);
    }
    await Promise.all(installed.map((i) => i.idle()));
  };
}
