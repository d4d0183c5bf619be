/**
 * `import.meta.hot`: Vite's HMR API (accept, dispose, prune, data, decline, invalidate, on/off,
 * send) for one module version, plus hotswap's `scope` (what this version started) and
 * `generation`.
 *
 * One deliberate difference from Vite, because reloads here are transactions: a new version is
 * evaluated while the old one still runs, and the old one's `dispose` callbacks run only when the
 * new one is committed. A new version therefore must not assume the old one is gone during its
 * top-level code: state and resources meant to outlive a version belong in `hot.data` (shared by
 * every version of the file), and teardown belongs in `dispose`.
 */
import type { Scope } from '../scope.js';
import type { HotContext as PublicHotContext } from './hot-types.js';
import type { ModuleInstance } from './instance.js';

/** A module namespace as the accept callbacks receive it. */
export type ModuleNamespace = Record<string, unknown>;

/** What the hot context needs from its loader. */
export interface HotHost {
  /** Resolves a specifier from this module to an app file path (or undefined when not an app file). */
  resolveDep(specifier: string, from: ModuleInstance): string | undefined;
  /** Subscribes to a loader event; returns the unsubscribe function. */
  listen(event: string, listener: (payload: unknown) => void): () => void;
  /** Delivers a custom event to every listener (`hot.send`). */
  emit(event: string, payload: unknown): void;
  /** A module asked to be updated through its importers instead (`hot.invalidate`). */
  invalidate(instance: ModuleInstance, message: string | undefined): void;
}

/** An `accept(deps, cb)` registration. */
export interface DepAccept {
  files: string[];
  /** True when registered with an array (the callback gets an array). */
  multiple: boolean;
  callback: ((mod: unknown) => void) | undefined;
}

/** Vite-compatible `import.meta.hot` for one module version. */
export class HotContext implements PublicHotContext {
  readonly #instance: ModuleInstance;
  readonly #host: HotHost;
  readonly #listeners = new Map<(payload: never) => void, { event: string; off: () => void }[]>();
  /** `accept()` / `accept(cb)` was called: this version is a boundary for its own changes. */
  selfAccepting = false;
  readonly selfAcceptCallbacks: ((mod: ModuleNamespace | undefined) => void)[] = [];
  readonly depAccepts: DepAccept[] = [];
  readonly disposeCallbacks: ((data: Record<string, unknown>) => unknown)[] = [];
  readonly pruneCallbacks: ((data: Record<string, unknown>) => unknown)[] = [];
  declined = false;

  constructor(instance: ModuleInstance, host: HotHost) {
    this.#instance = instance;
    this.#host = host;
  }

  /** State handed from version to version of this file: the same object for all of them. */
  get data(): Record<string, unknown> {
    return this.#instance.node.data;
  }

  /** What this version started; disposed when the version is replaced or pruned (hotswap). */
  get scope(): Scope {
    return this.#instance.scope;
  }

  /** Generation of this version of the file: 1 for the first (hotswap). */
  get generation(): number {
    return this.#instance.generation;
  }

  /**
   * Accepts updates. No argument or a callback: this module handles its own changes (the
   * callback, registered by the old version, receives the new namespace). A dependency or a list:
   * this module handles changes of those dependencies; it is not re-evaluated for them.
   */
  accept(
    deps?: string | readonly string[] | ((mod: ModuleNamespace | undefined) => void),
    callback?: ((mod: never) => void) | undefined,
  ): void {
    if (deps === undefined || typeof deps === 'function') {
      this.selfAccepting = true;
      if (typeof deps === 'function') this.selfAcceptCallbacks.push(deps);
      return;
    }
    const list = typeof deps === 'string' ? [deps] : [...deps];
    const files: string[] = [];
    for (const specifier of list) {
      const file = this.#host.resolveDep(specifier, this.#instance);
      if (file !== undefined) files.push(file);
    }
    this.depAccepts.push({
      files,
      multiple: typeof deps !== 'string',
      callback: callback as ((mod: unknown) => void) | undefined,
    });
  }

  /** Asks the loader to accept this module's exports too (Vite's `acceptExports`): same as `accept()` here. */
  acceptExports(
    _names: string | readonly string[],
    callback?: (mod: ModuleNamespace | undefined) => void,
  ): void {
    this.accept(callback);
  }

  /** Runs when this version is replaced or pruned, after the new version committed. */
  dispose(callback: (data: Record<string, unknown>) => unknown): void {
    this.disposeCallbacks.push(callback);
  }

  /** Runs when this module is no longer imported by anything after an update. */
  prune(callback: (data: Record<string, unknown>) => unknown): void {
    this.pruneCallbacks.push(callback);
  }

  /** Changes to this module cannot be hot-applied: they require a restart. */
  decline(): void {
    this.declined = true;
  }

  /** This version cannot handle the update: update its importers instead. */
  invalidate(message?: string): void {
    this.#host.invalidate(this.#instance, message);
  }

  /** Listens to an update event (`vite:beforeUpdate`, `hotswap:afterUpdate`, a custom event ...). */
  on(event: string, callback: (payload: never) => void): void {
    const instance = this.#instance;
    // A version hears update events only while it is live: not while staged, not once replaced.
    const off = this.#host.listen(event, (payload) => {
      if (instance.staging === null) (callback as (payload: unknown) => void)(payload);
    });
    const entries = this.#listeners.get(callback) ?? [];
    entries.push({ event, off });
    this.#listeners.set(callback, entries);
    // Ends with this version: a reload never leaves a doubled listener.
    this.#instance.scope.defer(off);
  }

  /** Stops listening. */
  off(event: string, callback: (payload: never) => void): void {
    const entries = this.#listeners.get(callback);
    if (!entries) return;
    for (const entry of entries.filter((e) => e.event === event)) entry.off();
    const rest = entries.filter((e) => e.event !== event);
    if (rest.length > 0) this.#listeners.set(callback, rest);
    else this.#listeners.delete(callback);
  }

  /** Sends a custom event to every `hot.on` listener of this process. */
  send(event: string, data?: unknown): void {
    this.#host.emit(event, data);
  }
}
