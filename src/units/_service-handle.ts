/**
 * The handle of a service unit: a plain {@link Handle} (versions, leases, retire, evict) whose
 * leases are refused while the runtime drains, plus the swap listeners dependents register to
 * rewire what a handle cannot reach (a callback registered on the instance, a cached field).
 *
 * Private to the service unit: users get it as `ServiceHandle<T>` from `service.handle` or
 * `runtime.service()`.
 */
import { HotswapError, oneLine } from '../errors.js';
import type { Scope } from '../scope.js';
import {
  type Handle,
  type Lease,
  type LeaseStraggler,
  type MethodKeys,
  runLeased,
  type Version,
} from './handle.js';
import type { UnitHost } from './unit.js';

/**
 * Called at commit, right after a service's handle points at a new instance (`previous` is
 * undefined for the first one), and again with the two swapped back when a later unit fails and
 * the reload is rolled back. Synchronous: nothing else runs between the swap and the rewiring.
 */
export type SwapListener<T> = (next: T, previous: T | undefined) => void;

/** The stable reference to a service's live instance. */
export interface ServiceHandle<T> extends Handle<T> {
  /**
   * True while the runtime the service belongs to drains: `lease()` and `withLease()` then throw
   * `HS_ERR_DRAINING`, while leases already taken run to their end.
   */
  readonly draining: boolean;
  /**
   * Adds a listener called at each swap (see {@link SwapListener}); returns a function that
   * removes it. For what must be rewired by hand; code that reads `handle.current` at each use
   * needs none.
   * @example
   * const off = llm.onSwap((next) => metrics.setLabel('model', next.model));
   */
  onSwap(listener: SwapListener<T>): () => void;
}

/** What the handle asks of its service. */
export interface ServiceGate {
  /** True while the runtime drains. */
  draining(): boolean;
}

/** The handle plus what only the service unit calls. */
export interface ServiceHandleControl<T> extends ServiceHandle<T> {
  /**
   * Calls every swap listener in order. When one throws, the ones already called (and the one
   * that threw) are called again with the instances swapped back, and the error is rethrown.
   */
  notifySwap(next: T, previous: T | undefined): void;
  /** Calls every listener with the swap undone; errors are returned, never thrown. */
  notifyUndo(restored: T, undone: T): unknown[];
}

class ServiceHandleImpl<T> implements ServiceHandleControl<T> {
  readonly #inner: Handle<T>;
  readonly #gate: ServiceGate;
  #listeners: SwapListener<T>[] = [];

  constructor(inner: Handle<T>, gate: ServiceGate) {
    this.#inner = inner;
    this.#gate = gate;
  }

  get name(): string {
    return this.#inner.name;
  }

  get current(): T {
    return this.#inner.current;
  }

  get ready(): boolean {
    return this.#inner.ready;
  }

  get generation(): number {
    return this.#inner.generation;
  }

  get leases(): number {
    return this.#inner.leases;
  }

  get live(): Version<T> | undefined {
    return this.#inner.live;
  }

  get draining(): boolean {
    return this.#gate.draining();
  }

  lease(): Lease<T> {
    if (this.#gate.draining()) {
      throw new HotswapError(
        'HS_ERR_DRAINING',
        `${this.name}: the process is draining and the service takes no new work`,
        { unit: this.name, hint: 'retry on another instance, or after the process restarts' },
      );
    }
    return this.#inner.lease();
  }

  withLease<R>(fn: (current: T, lease: Lease<T>) => R): R {
    return runLeased(this.lease(), fn);
  }

  delegate<K extends MethodKeys<T>>(key: K): T[K] {
    return this.#inner.delegate(key);
  }

  delegateAll<K extends MethodKeys<T>>(keys?: readonly K[]): Pick<T, K> {
    return this.#inner.delegateAll(keys);
  }

  versions(): Version<T>[] {
    return this.#inner.versions();
  }

  swap(value: T, options?: { scope?: Scope; generation?: number }): Version<T> | undefined {
    return this.#inner.swap(value, options);
  }

  restore(version: Version<T> | undefined): Version<T> | undefined {
    return this.#inner.restore(version);
  }

  retire(version: Version<T>): Promise<void> {
    return this.#inner.retire(version);
  }

  settle(signal?: AbortSignal): Promise<LeaseStraggler[]> {
    return this.#inner.settle(signal);
  }

  evict(): Promise<LeaseStraggler[]> {
    return this.#inner.evict();
  }

  attach(host: UnitHost): void {
    this.#inner.attach(host);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  onSwap(listener: SwapListener<T>): () => void {
    if (typeof listener !== 'function') {
      throw new TypeError(`${this.name}: onSwap needs a function`);
    }
    // Copy on write: a listener that subscribes or unsubscribes while a swap is notified
    // changes the next swap, not this one.
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  notifySwap(next: T, previous: T | undefined): void {
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) {
      try {
        callSync(listeners[i] as SwapListener<T>, next, previous, this.name);
      } catch (err) {
        if (previous !== undefined) {
          // Re-point whatever was rewired already, newest first, so no dependent stays on an
          // instance that will not be live.
          for (let j = i; j >= 0; j--) {
            try {
              callSync(listeners[j] as SwapListener<T>, previous, next, this.name);
            } catch {
              // The first error is the one reported; an undo that fails too adds nothing to it.
            }
          }
        }
        throw err;
      }
    }
  }

  notifyUndo(restored: T, undone: T): unknown[] {
    const errors: unknown[] = [];
    for (const listener of [...this.#listeners].reverse()) {
      try {
        callSync(listener, restored, undone, this.name);
      } catch (err) {
        errors.push(err);
      }
    }
    return errors;
  }
}

function callSync<T>(listener: SwapListener<T>, next: T, previous: T | undefined, name: string) {
  const result: unknown = listener(next, previous);
  if (typeof (result as { then?: unknown } | null)?.then === 'function') {
    // A dropped promise would swallow its rejection; the swap must be complete when commit ends.
    void Promise.resolve(result).catch(() => {});
    throw new TypeError(
      `${name}: an onSwap listener returned a promise; it runs inside the commit and must be ` +
        `synchronous (do slow work in start())`,
    );
  }
}

/** Wraps `inner` as the handle of a service. */
export function createServiceHandle<T>(
  inner: Handle<T>,
  gate: ServiceGate,
): ServiceHandleControl<T> {
  return new ServiceHandleImpl(inner, gate);
}

/** The message of a swap listener error, for reports. */
export function swapErrorMessage(name: string, err: unknown): string {
  return `${name}: an onSwap listener threw: ${oneLine(err)}`;
}
