/**
 * Drain: the process finishes in-flight work and refuses new work. `drain()` raises the flag
 * (callers check `draining`, or call `admit()`), then waits for every lease to end. When the
 * timeout passes first, the replaced versions that are still leased are disposed anyway, and
 * every straggler is reported as `HS_ERR_LEASE_TIMEOUT` with its unit and lease count. The flag
 * stays up until `undrain()`.
 */
import { HotswapError, type SerializedError, serializeError } from '../errors.js';
import type { LeaseStraggler } from '../units/handle.js';
import type { EventBus } from './events.js';

/** Options of `runtime.drain()`. */
export interface DrainOptions {
  /** Milliseconds to wait for in-flight work. @default the runtime's `drainTimeout` (30000) */
  timeout?: number;
  /** Why (shown in the `drain-changed` event and logs). */
  reason?: string;
}

/** A lease that outlived the drain timeout. */
export interface LeaseTimeout extends LeaseStraggler {
  /** `HS_ERR_LEASE_TIMEOUT`, naming the unit and the lease count. */
  error: SerializedError;
}

/** The outcome of `runtime.drain()`. */
export interface DrainResult {
  /** True when every lease ended before the timeout. */
  drained: boolean;
  /** True when `undrain()` ended the wait first. */
  cancelled: boolean;
  /** Milliseconds waited. */
  durationMs: number;
  /** Leases still in flight at the timeout. */
  stragglers: LeaseTimeout[];
}

/** The drain state of a runtime. Create with {@link createDrain}. */
export interface Drain {
  /** True while draining. */
  readonly draining: boolean;
  /** Throws `HS_ERR_DRAINING` while draining: call it where new work enters. */
  admit(): void;
  /** Starts draining and waits for in-flight work (a second call shares the same wait). */
  drain(options?: DrainOptions): Promise<DrainResult>;
  /** Stops draining; a pending `drain()` resolves as cancelled, disposing nothing. */
  undrain(reason?: string): void;
  /** Ends a pending wait as cancelled, keeping the flag (runtime close). */
  cancel(): void;
}

/** What a drain needs from its runtime. */
export interface DrainHost {
  /** Waits for every lease, or until `signal` aborts; returns what is still leased. */
  settle(signal: AbortSignal): Promise<LeaseStraggler[]>;
  /** Disposes replaced versions still leased; returns them. */
  evict(): Promise<LeaseStraggler[]>;
  /** The runtime's events. */
  events: EventBus;
  /** Called with each lease timeout (the runtime's error state). */
  onTimeout(timeout: LeaseTimeout): void;
  /** @default 30000 */
  defaultTimeout: number;
}

/**
 * Creates the drain state of a runtime.
 * @example
 * const drain = createDrain({ settle, evict, events, onTimeout, defaultTimeout: 30_000 });
 * await drain.drain({ timeout: 5_000 });
 */
export function createDrain(host: DrainHost): Drain {
  let draining = false;
  let pending: { promise: Promise<DrainResult>; cancel: AbortController } | undefined;

  const wait = async (timeout: number, cancel: AbortController): Promise<DrainResult> => {
    const started = performance.now();
    const timer = setTimeout(() => cancel.abort('timeout'), timeout);
    let leased: LeaseStraggler[];
    try {
      leased = await host.settle(cancel.signal);
    } finally {
      clearTimeout(timer);
    }
    const timedOut = cancel.signal.aborted && cancel.signal.reason === 'timeout';
    const cancelled = cancel.signal.aborted && !timedOut;
    const stragglers: LeaseTimeout[] = [];
    if (timedOut && leased.length > 0) {
      const evicted = await host.evict();
      for (const s of leased) {
        const disposed = evicted.some((e) => e.unit === s.unit && e.generation === s.generation);
        const error = new HotswapError(
          'HS_ERR_LEASE_TIMEOUT',
          `${s.unit}: ${s.leases} lease(s) on generation ${s.generation} still in flight after ` +
            `the ${timeout} ms drain timeout${disposed ? '; that version was disposed' : ''}`,
          { unit: s.unit, hint: 'in-flight work must release its lease (try/finally, withLease)' },
        );
        const timeoutInfo: LeaseTimeout = { ...s, disposed, error: serializeError(error) };
        stragglers.push(timeoutInfo);
        host.events.emit('lease-timeout', timeoutInfo);
        host.onTimeout(timeoutInfo);
      }
    }
    return {
      drained: !cancelled && stragglers.length === 0,
      cancelled,
      durationMs: performance.now() - started,
      stragglers,
    };
  };

  return {
    get draining() {
      return draining;
    },
    admit() {
      if (draining) {
        throw new HotswapError('HS_ERR_DRAINING', 'the process is draining and takes no new work', {
          hint: 'retry on another instance, or after the process restarts',
        });
      }
    },
    drain(options = {}) {
      if (!draining) {
        draining = true;
        host.events.emit('drain-changed', { draining: true, reason: options.reason });
      }
      if (pending) return pending.promise;
      const cancel = new AbortController();
      const promise = wait(options.timeout ?? host.defaultTimeout, cancel).finally(() => {
        if (pending?.cancel === cancel) pending = undefined;
      });
      pending = { promise, cancel };
      return promise;
    },
    cancel() {
      pending?.cancel.abort('cancel');
      pending = undefined;
    },
    undrain(reason) {
      pending?.cancel.abort('undrain');
      pending = undefined;
      if (!draining) return;
      draining = false;
      host.events.emit('drain-changed', { draining: false, reason });
    },
  };
}
