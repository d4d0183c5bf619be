/**
 * When to hand the next batch over. Events restart a quiet window of `settle` ms; `maxWait` ms
 * after the first event the batch goes anyway, so a steady stream cannot starve reloads. While a
 * batch is being handed over, events only mark that another round is due; that round waits a
 * full quiet window from the moment the consumer returns. An optional `busy` probe (git's index
 * lock) postpones the round while it answers true, then allows one more quiet window.
 *
 * With `leading`, the first event after a quiet spell starts a round at the end of the current
 * turn of the event loop instead (every event already read from the system comes along); only
 * events that arrive while that round runs wait for a quiet window. A single save is handed over
 * at once, and a burst still ends in one trailing batch.
 *
 * At most one timer exists, and none once idle or closed.
 */

/** Options of {@link createSettle}. */
export interface SettleOptions {
  settle: number;
  maxWait: number;
  /** Asked when a round is due; while it resolves true, the round waits. */
  busy?: () => Promise<boolean>;
  /**
   * Quiet time after `busy` stopped answering true (git released its index lock): the last of a
   * checkout's events may still be in flight (files in folders the checkout created are seen only
   * once the watcher has entered those folders), so this window is much longer than `settle`. Checkouts
   * are rare: their latency does not matter, one consistent batch does.
   * @default max(settle, 100)
   */
  afterBusy?: number;
  /**
   * Start a round at the end of the current event-loop turn for the first event after a quiet
   * spell of `settle` ms (see the module notes).
   * @default false
   */
  leading?: boolean;
  /** Starts a round. Call {@link Settle.done} when it has finished. */
  run(): void;
  /** Receives a rejection of `busy`. */
  onError(err: unknown): void;
}

/** The scheduler of rounds. */
export interface Settle {
  /** An event arrived. */
  poke(): void;
  /** The round started by `run` has finished; `again` when events arrived meanwhile. */
  done(again: boolean): void;
  /** Stops for good and clears the timer. */
  close(): void;
}

type State = 'idle' | 'waiting' | 'probing' | 'running' | 'closed';

/** Creates the scheduler. */
export function createSettle(options: SettleOptions): Settle {
  const { settle, maxWait } = options;
  let state: State = 'idle';
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let firstAt = 0;
  let lastAt = 0;
  /** When the last round finished: a leading round needs a quiet spell before it. */
  let doneAt = Number.NEGATIVE_INFINITY;
  let waitedForBusy = false;
  /** The round now waited for starts without a quiet window. */
  let leadingRound = false;

  const now = (): number => performance.now();

  function disarm(): void {
    clearTimeout(timer);
    clearImmediate(immediate);
    timer = undefined;
    immediate = undefined;
  }

  function arm(ms: number): void {
    disarm();
    state = 'waiting';
    timer = setTimeout(due, Math.max(0, ms));
  }

  function open(leading: boolean): void {
    firstAt = lastAt = now();
    leadingRound = leading && firstAt - doneAt >= settle;
    if (!leadingRound) {
      arm(Math.min(settle, maxWait));
      return;
    }
    disarm();
    state = 'waiting';
    immediate = setImmediate(due);
  }

  function due(): void {
    timer = undefined;
    immediate = undefined;
    if (state !== 'waiting') return;
    const t = now();
    const at = leadingRound ? t : Math.min(lastAt + settle, firstAt + maxWait);
    if (t < at) {
      arm(at - t);
      return;
    }
    if (!options.busy) {
      start();
      return;
    }
    state = 'probing';
    options.busy().then(
      (busy) => {
        if (state !== 'probing') return;
        if (busy) {
          waitedForBusy = true;
          leadingRound = false;
          arm(settle);
        } else if (waitedForBusy) {
          // Events written just before the lock went away may still be in flight.
          waitedForBusy = false;
          firstAt = lastAt = now();
          arm(options.afterBusy ?? Math.max(settle, 100));
        } else if (leadingRound) {
          start();
        } else {
          // Events that arrived while probing restart the quiet window.
          const rest = Math.min(lastAt + settle, firstAt + maxWait) - now();
          if (rest > 0) arm(rest);
          else start();
        }
      },
      (err: unknown) => {
        if (state !== 'probing') return;
        options.onError(err);
        start();
      },
    );
  }

  function start(): void {
    state = 'running';
    options.run();
  }

  return {
    poke() {
      lastAt = now();
      if (state === 'idle') open(options.leading === true);
    },
    done(again) {
      if (state !== 'running') return;
      state = 'idle';
      doneAt = now();
      if (again) open(false);
    },
    close() {
      disarm();
      state = 'closed';
    },
  };
}
