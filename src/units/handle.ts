/**
 * A handle is the stable reference long-lived code holds instead of a version: `handle.current`
 * is the live version, and a reload changes what it points to. A lease pins a piece of in-flight
 * work to the version it started on; a replaced version is disposed (its scope ended) only when
 * its last lease is released, or when a drain timeout forces it.
 *
 * Units create one handle each (`createHandle`) and drive it from their reload phases: `swap` at
 * commit, `restore` at rollback, `retire` at finalize. Everything else is for the user's code.
 */
import { HotswapError } from '../errors.js';
import type { Scope } from '../scope.js';
import type { UnitHost } from './unit.js';

/**
 * Where a version is in its life: `live` (what `current` returns), `standby` (replaced but kept
 * until finalize, so a rollback can restore it), `retiring` (replaced for good, waiting for its
 * leases), `disposed` (its scope ended).
 */
export type VersionState = 'live' | 'standby' | 'retiring' | 'disposed';

/** One version held by a handle. */
export interface Version<T> {
  /** The version object itself (a module's exports, a service instance, a command table). */
  readonly value: T;
  /** Generation number; every committed version gets a new one. */
  readonly generation: number;
  /** What this version started; disposed when the version ends. */
  readonly scope: Scope | undefined;
  /** Leases in flight on this version. */
  readonly leases: number;
  /** Where the version is in its life. */
  readonly state: VersionState;
}

/**
 * In-flight work pinned to one version. Release it when the work ends (`try/finally`, or `using`).
 * @example
 * const lease = handle.lease();
 * try {
 *   await lease.current.handle(request);
 * } finally {
 *   lease.release();
 * }
 */
export interface Lease<T> extends Disposable {
  /** Name of the unit (or handle) leased. */
  readonly unit: string;
  /** The version the work started on; it stays usable until the lease is released. */
  readonly current: T;
  /** Generation of that version. */
  readonly generation: number;
  /** True once released (or forced by a drain timeout). */
  readonly released: boolean;
  /** Ends the lease. Idempotent. */
  release(): void;
}

/** A version that still had leases in flight when a drain timed out. */
export interface LeaseStraggler {
  /** Handle (unit) name. */
  unit: string;
  /** Generation of the version the leases pin. */
  generation: number;
  /** Leases still in flight. */
  leases: number;
  /** True when the version is the live one (it is never disposed by a drain). */
  live: boolean;
  /** True when the version was disposed although leased (a replaced version). */
  disposed: boolean;
}

/** Options of {@link createHandle}. */
export interface HandleOptions<T> {
  /**
   * Ends a version's value once the version is disposed (after its scope), e.g. closing a
   * service instance. Errors are reported as a `version-disposed` notice, never thrown.
   */
  dispose?(value: T, version: Version<T>): void | PromiseLike<void>;
  /** Called after each version is disposed (tests, metrics). Never throws into the handle. */
  onDisposed?(version: Version<T>, info: { forced: boolean; errors: unknown[] }): void;
}

/** Keys of `T` whose values are functions. */
export type MethodKeys<T> = {
  // biome-ignore lint/suspicious/noExplicitAny: any parameter list is a method.
  [K in keyof T]-?: T[K] extends (...args: any[]) => any ? K : never;
}[keyof T];

/** The stable reference to a unit's live version. Create with {@link createHandle}. */
export interface Handle<T> {
  /** Name of the unit the handle belongs to. */
  readonly name: string;
  /**
   * The live version. Read it at each use, never keep it: the next reload replaces it.
   * Throws `HS_ERR_UNIT_NOT_READY` before the first commit and after close.
   */
  readonly current: T;
  /** True once a version is live. */
  readonly ready: boolean;
  /** Generation of the live version; 0 before the first commit. */
  readonly generation: number;
  /** Leases in flight, over all versions. */
  readonly leases: number;
  /** Pins in-flight work to the live version. Throws `HS_ERR_UNIT_NOT_READY` when none is live. */
  lease(): Lease<T>;
  /**
   * Runs `fn` with the live version under a lease, released when `fn` returns or its promise
   * settles.
   * @example
   * const reply = await commands.withLease((table) => table.run(message));
   */
  withLease<R>(fn: (current: T, lease: Lease<T>) => R): R;
  /**
   * A stable function that calls method `key` of the live version (with the version as `this`).
   * Hand it to code that keeps functions (routers, emitters, timers). Costs one property read.
   * @example
   * server.on('request', routes.delegate('handle'));
   */
  delegate<K extends MethodKeys<T>>(key: K): T[K];
  /**
   * An object of stable delegating functions: `keys`, or every method of the live version when
   * omitted (methods the version gains later are not added: pass `keys` for those).
   */
  delegateAll<K extends MethodKeys<T>>(keys?: readonly K[]): Pick<T, K>;
  /** The live version record, for unit authors. */
  readonly live: Version<T> | undefined;
  /** Every version not yet disposed (live, standby, retiring), oldest first. */
  versions(): Version<T>[];
  /**
   * Commit phase: makes `value` the live version and returns the one it replaced, which stays
   * in standby until {@link retire} or {@link restore}. Synchronous, so no call sees half a swap.
   */
  swap(value: T, options?: { scope?: Scope; generation?: number }): Version<T> | undefined;
  /**
   * Rollback phase: makes a replaced (not disposed) version live again, or, given `undefined`,
   * leaves the handle with no live version (undoing a first commit). Returns the version it
   * replaced, which the caller then retires.
   */
  restore(version: Version<T> | undefined): Version<T> | undefined;
  /**
   * Finalize phase: a replaced version ends once its last lease is released (at once when it
   * has none). Resolves when it is disposed; never rejects. Callers need not wait.
   */
  retire(version: Version<T>): Promise<void>;
  /**
   * Resolves when no lease is in flight on any version, or when `signal` aborts first; then
   * every version still leased is returned as a straggler.
   */
  settle(signal?: AbortSignal): Promise<LeaseStraggler[]>;
  /**
   * Disposes every retiring version although it is still leased (a drain timeout), and returns
   * them. Their leases count as released; the live version is never evicted.
   */
  evict(): Promise<LeaseStraggler[]>;
  /** Lets the handle report disposals to a runtime (called by `runtime.add`). */
  attach(host: UnitHost): void;
  /** Disposes every version, the live one included, leased or not. */
  close(): Promise<void>;
}

class VersionRecord<T> implements Version<T> {
  readonly value: T;
  readonly generation: number;
  readonly scope: Scope | undefined;
  leases = 0;
  state: VersionState = 'live';
  #finished = false;
  #done: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(value: T, generation: number, scope: Scope | undefined) {
    this.value = value;
    this.generation = generation;
    this.scope = scope;
  }

  /** Resolves once the version is fully disposed. */
  whenDisposed(): Promise<void> {
    if (this.#finished) return Promise.resolve();
    if (this.#done === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this.#done = { promise, resolve };
    }
    return this.#done.promise;
  }

  finish(): void {
    this.#finished = true;
    this.#done?.resolve();
  }
}

class LeaseImpl<T> implements Lease<T> {
  readonly unit: string;
  readonly current: T;
  readonly generation: number;
  #version: VersionRecord<T> | undefined;
  readonly #end: (version: VersionRecord<T>) => void;

  constructor(unit: string, version: VersionRecord<T>, end: (v: VersionRecord<T>) => void) {
    this.unit = unit;
    this.current = version.value;
    this.generation = version.generation;
    this.#version = version;
    this.#end = end;
  }

  get released(): boolean {
    return this.#version === undefined || this.#version.state === 'disposed';
  }

  release(): void {
    const version = this.#version;
    if (version === undefined) return;
    this.#version = undefined;
    this.#end(version);
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

class HandleImpl<T> implements Handle<T> {
  readonly name: string;
  #live: VersionRecord<T> | undefined;
  // Replaced versions not yet disposed, in the order they were replaced.
  readonly #others = new Set<VersionRecord<T>>();
  #nextGeneration = 1;
  #leases = 0;
  readonly #waiters = new Set<() => void>();
  readonly #options: HandleOptions<T>;
  #host: UnitHost | undefined;
  #closed = false;
  readonly #endLease = (version: VersionRecord<T>): void => this.#release(version);

  constructor(name: string, options: HandleOptions<T>) {
    this.name = name;
    this.#options = options;
  }

  get current(): T {
    const live = this.#live;
    if (live === undefined) throw this.#notReady();
    return live.value;
  }

  get ready(): boolean {
    return this.#live !== undefined;
  }

  get generation(): number {
    return this.#live?.generation ?? 0;
  }

  get leases(): number {
    return this.#leases;
  }

  get live(): Version<T> | undefined {
    return this.#live;
  }

  versions(): Version<T>[] {
    const all: Version<T>[] = [...this.#others];
    if (this.#live) all.push(this.#live);
    return all;
  }

  lease(): Lease<T> {
    const live = this.#live;
    if (live === undefined) throw this.#notReady();
    live.leases++;
    this.#leases++;
    return new LeaseImpl(this.name, live, this.#endLease);
  }

  withLease<R>(fn: (current: T, lease: Lease<T>) => R): R {
    return runLeased(this.lease(), fn);
  }

  delegate<K extends MethodKeys<T>>(key: K): T[K] {
    const delegating = (...args: unknown[]): unknown =>
      (this.current as Record<K, (...a: unknown[]) => unknown>)[key](...args);
    Object.defineProperty(delegating, 'name', { value: String(key) });
    return delegating as T[K];
  }

  delegateAll<K extends MethodKeys<T>>(keys?: readonly K[]): Pick<T, K> {
    const names = keys ?? (methodNames(this.current) as K[]);
    const out = {} as Pick<T, K>;
    for (const key of names) out[key] = this.delegate(key);
    return out;
  }

  swap(value: T, options: { scope?: Scope; generation?: number } = {}): Version<T> | undefined {
    if (this.#closed) throw this.#notReady();
    const generation = options.generation ?? this.#nextGeneration;
    this.#nextGeneration = Math.max(this.#nextGeneration, generation) + 1;
    const previous = this.#live;
    if (previous) {
      previous.state = 'standby';
      this.#others.add(previous);
    }
    this.#live = new VersionRecord(value, generation, options.scope);
    return previous;
  }

  restore(version: Version<T> | undefined): Version<T> | undefined {
    const target = version as VersionRecord<T> | undefined;
    if (target === this.#live) return undefined;
    if (target === undefined) {
      const replaced = this.#live;
      if (replaced) {
        replaced.state = 'standby';
        this.#others.add(replaced);
      }
      this.#live = undefined;
      return replaced;
    }
    if (!this.#others.has(target)) {
      throw new HotswapError(
        'HS_ERR_UNIT_ROLLBACK',
        `${this.name}: generation ${target.generation} is already disposed and cannot be restored`,
        { unit: this.name },
      );
    }
    this.#others.delete(target);
    const replaced = this.#live;
    if (replaced) {
      replaced.state = 'standby';
      this.#others.add(replaced);
    }
    target.state = 'live';
    this.#live = target;
    return replaced;
  }

  retire(version: Version<T>): Promise<void> {
    const target = version as VersionRecord<T>;
    if (target.state === 'disposed') return target.whenDisposed();
    if (target === this.#live) {
      // Retiring the live version would leave `current` pointing at a disposed one.
      throw new HotswapError(
        'HS_ERR_UNIT_COMMIT',
        `${this.name}: the live version (generation ${target.generation}) cannot be retired`,
        { unit: this.name },
      );
    }
    target.state = 'retiring';
    if (target.leases === 0) return this.#dispose(target, false);
    return target.whenDisposed();
  }

  async settle(signal?: AbortSignal): Promise<LeaseStraggler[]> {
    if (this.#leases > 0 && signal?.aborted !== true) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.#waiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        this.#waiters.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
    return this.versions()
      .filter((v) => v.leases > 0)
      .map((v) => this.#straggler(v, false));
  }

  async evict(): Promise<LeaseStraggler[]> {
    const evicted = [...this.#others].filter((v) => v.state === 'retiring' && v.leases > 0);
    const stragglers = evicted.map((v) => this.#straggler(v, true));
    await Promise.all(evicted.map((v) => this.#dispose(v, true)));
    return stragglers;
  }

  #straggler(version: Version<T>, disposed: boolean): LeaseStraggler {
    return {
      unit: this.name,
      generation: version.generation,
      leases: version.leases,
      live: version === this.#live,
      disposed,
    };
  }

  attach(host: UnitHost): void {
    this.#host = host;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const all = this.versions() as VersionRecord<T>[];
    this.#live = undefined;
    for (const version of all.reverse()) await this.#dispose(version, true);
  }

  #release(version: VersionRecord<T>): void {
    // A version disposed by force already dropped its leases from the count.
    if (version.state === 'disposed') return;
    version.leases--;
    this.#leases--;
    if (version.leases === 0 && version.state === 'retiring') void this.#dispose(version, false);
    if (this.#leases === 0) for (const wake of [...this.#waiters]) wake();
  }

  #dispose(version: VersionRecord<T>, forced: boolean): Promise<void> {
    if (version.state === 'disposed') return version.whenDisposed();
    version.state = 'disposed';
    this.#others.delete(version);
    if (version.leases > 0) {
      this.#leases -= version.leases;
      version.leases = 0;
      if (this.#leases === 0) for (const wake of [...this.#waiters]) wake();
    }
    const ended = version.whenDisposed();
    void this.#end(version, forced).finally(() => version.finish());
    return ended;
  }

  async #end(version: VersionRecord<T>, forced: boolean): Promise<void> {
    const errors: unknown[] = [];
    if (version.scope) {
      try {
        errors.push(...(await version.scope.dispose()).errors);
      } catch (err) {
        errors.push(err);
      }
    }
    if (this.#options.dispose) {
      try {
        await this.#options.dispose(version.value, version);
      } catch (err) {
        errors.push(err);
      }
    }
    try {
      this.#options.onDisposed?.(version, { forced, errors });
    } catch (err) {
      errors.push(err);
    }
    try {
      this.#host?.notify({
        type: 'version-disposed',
        generation: version.generation,
        forced,
        errors,
      });
    } catch {
      // A host never throws from notify(); a broken one must not stop the disposal chain.
    }
  }

  #notReady(): HotswapError {
    return new HotswapError(
      'HS_ERR_UNIT_NOT_READY',
      this.#closed
        ? `${this.name} is closed`
        : `${this.name} has no live version yet: reload the runtime to load it`,
      { unit: this.name, hint: this.#closed ? undefined : 'await runtime.reload() after add()' },
    );
  }
}

/**
 * Runs `fn` on a lease already taken and releases it when `fn` returns or throws, or, when `fn`
 * returns a promise, when that promise settles: what every `withLease` does.
 */
export function runLeased<T, R>(lease: Lease<T>, fn: (current: T, lease: Lease<T>) => R): R {
  let result: R;
  try {
    result = fn(lease.current, lease);
  } catch (err) {
    lease.release();
    throw err;
  }
  if (isPromiseLike(result)) {
    return Promise.resolve(result).finally(() => lease.release()) as R;
  }
  lease.release();
  return result;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Names of the function-valued properties of `value`, own and inherited (not Object's). */
function methodNames(value: unknown): string[] {
  const names = new Set<string>();
  let proto: unknown = value;
  while (proto !== null && proto !== undefined && proto !== Object.prototype) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === 'constructor') continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, key);
      if (descriptor && typeof descriptor.value === 'function') names.add(key);
    }
    proto = Object.getPrototypeOf(proto);
  }
  return [...names];
}

/**
 * Creates a handle with no live version; the owning unit's first commit calls `swap()`.
 * @example
 * const handle = createHandle<Greeter>('greeter');
 * handle.swap(new Greeter());      // commit
 * const greet = handle.delegate('greet');
 * greet('ada');                     // always calls the live version
 */
export function createHandle<T>(name: string, options: HandleOptions<T> = {}): Handle<T> {
  return new HandleImpl<T>(name, options);
}
