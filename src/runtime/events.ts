/**
 * Typed runtime events, delivered in order, synchronously, to listeners registered with
 * `runtime.on(name, listener)`, and published on `node:diagnostics_channel` (channel
 * `hotswap:<name>`) only when someone subscribes there, so tracing tools see them at no cost
 * otherwise. A listener that throws is logged; it never breaks a reload.
 */
import { channel } from 'node:diagnostics_channel';
import type { Logger } from 'pino';
import type { SerializedError } from '../errors.js';
import type { LeaseStraggler } from '../units/handle.js';
import type { Trigger, UnitKind } from '../units/unit.js';
import type { ReloadKind, ReloadPhase, ReloadReport } from './report.js';

/** Every runtime event by name, with its payload. */
export interface RuntimeEvents {
  /** A transaction begins (after it left the queue). */
  'reload-start': {
    id: number;
    kind: ReloadKind;
    trigger: Trigger;
    coalesced: Trigger[];
    /**
     * Units asked for (`all` for every unit), before dependents were added: a unit that is in
     * `units` but not here came as a dependent (services rebuild only when asked for).
     */
    requested: string[] | 'all';
    /** Units in the transaction, in dependency order. */
    units: string[];
  };
  /** A transaction ended, with its report (also in `history`). */
  'reload-end': { report: ReloadReport };
  /** A unit failed a phase (emitted as it happens, before `reload-end`). */
  'unit-failed': { reloadId: number; unit: string; phase: ReloadPhase; error: SerializedError };
  /** A unit was registered. */
  'unit-added': { unit: string; kind: UnitKind };
  /** A unit was removed (and closed). */
  'unit-removed': { unit: string; kind: UnitKind };
  /** A worker died. `restart` tells whether it comes back, after `delay` milliseconds. */
  'worker-died': {
    unit: string;
    error: SerializedError;
    restarts: number;
    restart: boolean;
    delay?: number;
  };
  /** A dead worker was started again. */
  'worker-restarted': { unit: string; restarts: number };
  /** An old version ended (its leases were done, or a drain timeout forced it). */
  'version-disposed': {
    unit: string;
    generation: number;
    forced: boolean;
    errors: SerializedError[];
  };
  /** Draining began or ended. */
  'drain-changed': { draining: boolean; reason?: string };
  /** In-flight work did not end before a drain timeout (one event per version). */
  'lease-timeout': LeaseStraggler & { error: SerializedError };
}

/** Name of a runtime event. */
export type RuntimeEventName = keyof RuntimeEvents;

/** A listener of event `E`. */
export type RuntimeListener<E extends RuntimeEventName> = (payload: RuntimeEvents[E]) => void;

/**
 * Every event name, in a stable order.
 * @example
 * for (const name of runtimeEventNames) runtime.on(name, (payload) => trace(name, payload));
 */
export const runtimeEventNames = [
  'reload-start',
  'reload-end',
  'unit-failed',
  'unit-added',
  'unit-removed',
  'worker-died',
  'worker-restarted',
  'version-disposed',
  'drain-changed',
  'lease-timeout',
] as const satisfies readonly RuntimeEventName[];

/**
 * The `node:diagnostics_channel` name of an event (`hotswap:<event>`).
 * @example
 * diagnostics_channel.subscribe(runtimeChannelName('reload-end'), (m) => metrics.observe(m));
 */
export function runtimeChannelName(event: RuntimeEventName): string {
  return `hotswap:${event}`;
}

/** An event bus of one runtime. */
export interface EventBus {
  /** Adds a listener; returns a function that removes it. */
  on<E extends RuntimeEventName>(event: E, listener: RuntimeListener<E>): () => void;
  /** Like `on`, for one event only. */
  once<E extends RuntimeEventName>(event: E, listener: RuntimeListener<E>): () => void;
  /** Removes a listener. */
  off<E extends RuntimeEventName>(event: E, listener: RuntimeListener<E>): void;
  /** Delivers an event to every listener, then to the diagnostics channel. */
  emit<E extends RuntimeEventName>(event: E, payload: RuntimeEvents[E]): void;
  /** Listeners registered now, over all events. */
  readonly size: number;
  /** Removes every listener. */
  clear(): void;
}

/**
 * Creates the event bus of runtime `name`; listener errors go to `log`.
 * @example
 * const bus = createEventBus('app', log);
 * bus.on('reload-end', ({ report }) => console.log(report.summary));
 */
export function createEventBus(name: string, log: Logger): EventBus {
  // biome-ignore lint/suspicious/noExplicitAny: listeners are typed at the API edge.
  const listeners = new Map<RuntimeEventName, Set<(payload: any) => void>>();
  const channels = new Map(runtimeEventNames.map((e) => [e, channel(runtimeChannelName(e))]));
  let size = 0;

  const off = <E extends RuntimeEventName>(event: E, listener: RuntimeListener<E>): void => {
    if (listeners.get(event)?.delete(listener)) size--;
  };

  return {
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
      }
      if (!set.has(listener)) {
        set.add(listener);
        size++;
      }
      return () => off(event, listener);
    },
    once(event, listener) {
      const wrapped: typeof listener = (payload) => {
        off(event, wrapped);
        listener(payload);
      };
      return this.on(event, wrapped);
    },
    off,
    emit(event, payload) {
      const set = listeners.get(event);
      if (set && set.size > 0) {
        for (const listener of [...set]) {
          try {
            const result: unknown = listener(payload);
            if (typeof (result as { then?: unknown } | undefined)?.then === 'function') {
              (result as Promise<unknown>).then(undefined, (err: unknown) =>
                log.error({ err, event }, 'a runtime event listener rejected'),
              );
            }
          } catch (err) {
            log.error({ err, event }, 'a runtime event listener threw');
          }
        }
      }
      const ch = channels.get(event);
      if (ch?.hasSubscribers) {
        try {
          ch.publish({ runtime: name, event, ...payload });
        } catch (err) {
          log.error({ err, event }, 'a diagnostics_channel subscriber threw');
        }
      }
    },
    get size() {
      return size;
    },
    clear() {
      listeners.clear();
      size = 0;
    },
  };
}
