/**
 * A scope owns what one version started: timers, intervals, listeners, child scopes and any
 * resource with a dispose/close method. Disposing the scope ends all of it, in reverse order of
 * creation, so replacing a version never leaves an orphan interval or a doubled listener.
 *
 * Used for every module version (`import.meta.hot.scope`) and every unit version.
 */

/** Something that can be ended by a scope. */
export type Disposer = () => void | PromiseLike<void>;

/** Anything with a conventional end method. */
export type DisposableLike =
  | Disposable
  | AsyncDisposable
  | { dispose(): unknown }
  | { close(): unknown }
  | { destroy(): unknown };

/** A listener of any arguments: listeners are user code, typed by their emitter. */
// biome-ignore lint/suspicious/noExplicitAny: listener parameters are whatever the emitter passes.
export type Listener = (...args: any[]) => void;

/** An EventEmitter-like target (Node's `EventEmitter`, sockets, `process`). */
export interface EmitterLike {
  on(event: string | symbol, listener: Listener): unknown;
  off?(event: string | symbol, listener: Listener): unknown;
  removeListener?(event: string | symbol, listener: Listener): unknown;
}

/** A DOM-style target (`EventTarget`, `AbortSignal`, `MessagePort`). */
export interface EventTargetLike {
  addEventListener(type: string, listener: Listener, options?: { once?: boolean }): void;
  removeEventListener(type: string, listener: Listener): void;
}

/** The outcome of {@link Scope.dispose}. */
export interface ScopeDisposeResult {
  /** Errors thrown by disposers; disposal goes on past each one. */
  errors: unknown[];
}

/** The lifetime of one version. Create with {@link createScope}. */
export interface Scope {
  /** Name shown in errors (e.g. `src/routes.ts@3`). */
  readonly name: string;
  /** Aborted when the scope is disposed: pass it to fetch, streams, `events.on`, servers. */
  readonly signal: AbortSignal;
  /** True once {@link dispose} has started. */
  readonly disposed: boolean;
  /** Number of live things the scope still owns (timers, listeners, resources, children). */
  readonly size: number;
  /** `setTimeout` owned by the scope: cleared on dispose, forgotten once it fires. */
  setTimeout<A extends unknown[]>(
    fn: (...args: A) => void,
    ms?: number,
    ...args: A
  ): NodeJS.Timeout;
  /** `setInterval` owned by the scope: cleared on dispose. */
  setInterval<A extends unknown[]>(
    fn: (...args: A) => void,
    ms?: number,
    ...args: A
  ): NodeJS.Timeout;
  /** `setImmediate` owned by the scope. */
  setImmediate<A extends unknown[]>(fn: (...args: A) => void, ...args: A): NodeJS.Immediate;
  /** Clears a timer made by this scope (or any timer) and stops tracking it. */
  clearTimer(timer: NodeJS.Timeout | NodeJS.Immediate | undefined): void;
  /**
   * Adds a listener that is removed on dispose. Works with EventEmitters and EventTargets.
   * @returns a function that removes the listener early.
   */
  on(target: EmitterLike | EventTargetLike, event: string, listener: Listener): () => void;
  /** Like {@link on}, for one call only. */
  once(target: EmitterLike | EventTargetLike, event: string, listener: Listener): () => void;
  /** Runs `fn` when the scope is disposed (after everything added later). */
  defer(fn: Disposer): void;
  /** Ends `resource` when the scope is disposed; returns it for chaining. */
  use<T extends DisposableLike>(resource: T): T;
  /** A nested scope, disposed with this one (or on its own earlier). */
  child(name?: string): Scope;
  /** Ends everything, newest first. Idempotent; later calls return the first call's result. */
  dispose(): Promise<ScopeDisposeResult>;
}

type Entry = { kind: 'timer' | 'listener' | 'resource' | 'child'; end: Disposer };

class ScopeImpl implements Scope {
  readonly name: string;
  // Made on first use: most module versions never look at their signal, and an AbortController
  // plus its abort event is the largest cost of a version's scope.
  #controller: AbortController | undefined;
  // Insertion-ordered, so disposal can walk it backwards (newest first), as avvio tears down.
  readonly #entries = new Set<Entry>();
  readonly #timers = new Map<NodeJS.Timeout | NodeJS.Immediate, Entry>();
  #disposing: Promise<ScopeDisposeResult> | undefined;

  constructor(name: string) {
    this.name = name;
  }

  get signal(): AbortSignal {
    return this.#abortController().signal;
  }

  #abortController(): AbortController {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#disposing) this.#controller.abort(abortReason(`scope ${this.name} disposed`));
    }
    return this.#controller;
  }

  get disposed(): boolean {
    return this.#disposing !== undefined;
  }

  get size(): number {
    return this.#entries.size;
  }

  #track(entry: Entry): Entry {
    if (this.#disposing) {
      // A version that is already gone must not start anything new: end it at once.
      void Promise.resolve()
        .then(entry.end)
        .catch(() => {});
      throw new Error(`scope ${this.name} is disposed; it cannot own anything new`);
    }
    this.#entries.add(entry);
    return entry;
  }

  setTimeout<A extends unknown[]>(
    fn: (...args: A) => void,
    ms?: number,
    ...args: A
  ): NodeJS.Timeout {
    const timer = setTimeout(
      (...a: A) => {
        this.#forgetTimer(timer);
        fn(...a);
      },
      ms,
      ...args,
    );
    this.#trackTimer(timer, () => clearTimeout(timer));
    return timer;
  }

  setInterval<A extends unknown[]>(
    fn: (...args: A) => void,
    ms?: number,
    ...args: A
  ): NodeJS.Timeout {
    const timer = setInterval(fn, ms, ...args);
    this.#trackTimer(timer, () => clearInterval(timer));
    return timer;
  }

  setImmediate<A extends unknown[]>(fn: (...args: A) => void, ...args: A): NodeJS.Immediate {
    const immediate = setImmediate(
      (...a: A) => {
        this.#forgetTimer(immediate);
        fn(...a);
      },
      ...args,
    );
    this.#trackTimer(immediate, () => clearImmediate(immediate));
    return immediate;
  }

  clearTimer(timer: NodeJS.Timeout | NodeJS.Immediate | undefined): void {
    if (timer === undefined) return;
    const entry = this.#timers.get(timer);
    if (entry) {
      this.#forgetTimer(timer);
      void entry.end();
      return;
    }
    if ('hasRef' in timer && !('refresh' in timer)) clearImmediate(timer as NodeJS.Immediate);
    else clearTimeout(timer as NodeJS.Timeout);
  }

  #trackTimer(timer: NodeJS.Timeout | NodeJS.Immediate, end: Disposer): void {
    const entry: Entry = { kind: 'timer', end };
    try {
      this.#track(entry);
    } catch (err) {
      void end();
      throw err;
    }
    this.#timers.set(timer, entry);
  }

  #forgetTimer(timer: NodeJS.Timeout | NodeJS.Immediate): void {
    const entry = this.#timers.get(timer);
    if (!entry) return;
    this.#timers.delete(timer);
    this.#entries.delete(entry);
  }

  on(target: EmitterLike | EventTargetLike, event: string, listener: Listener): () => void {
    return this.#listen(target, event, listener, false);
  }

  once(target: EmitterLike | EventTargetLike, event: string, listener: Listener): () => void {
    return this.#listen(target, event, listener, true);
  }

  #listen(
    target: EmitterLike | EventTargetLike,
    event: string,
    listener: Listener,
    once: boolean,
  ): () => void {
    let entry: Entry | undefined;
    let removed = false;
    const remove = (): void => {
      if (removed) return;
      removed = true;
      if (entry) this.#entries.delete(entry);
      if (isEventTarget(target)) target.removeEventListener(event, wrapped);
      else if (typeof target.off === 'function') target.off(event, wrapped);
      else target.removeListener?.(event, wrapped);
    };
    const wrapped = once
      ? (...args: unknown[]): void => {
          remove();
          listener(...args);
        }
      : listener;
    entry = this.#track({ kind: 'listener', end: remove });
    if (isEventTarget(target)) target.addEventListener(event, wrapped);
    else target.on(event, wrapped);
    return remove;
  }

  defer(fn: Disposer): void {
    this.#track({ kind: 'resource', end: fn });
  }

  use<T extends DisposableLike>(resource: T): T {
    this.defer(() => endResource(resource));
    return resource;
  }

  child(name?: string): Scope {
    const child = new ScopeImpl(name ?? `${this.name}/child`);
    const entry = this.#track({
      kind: 'child',
      end: async () => {
        const { errors } = await child.dispose();
        if (errors.length === 1) throw errors[0];
        if (errors.length > 1)
          throw new AggregateError(errors, `scope ${child.name} failed to end cleanly`);
      },
    });
    // A child disposed on its own leaves the parent, so the parent does not keep it alive.
    child.#abortController().signal.addEventListener('abort', () => this.#entries.delete(entry), {
      once: true,
    });
    return child;
  }

  dispose(): Promise<ScopeDisposeResult> {
    this.#disposing ??= this.#disposeAll();
    return this.#disposing;
  }

  async #disposeAll(): Promise<ScopeDisposeResult> {
    const errors: unknown[] = [];
    const entries = [...this.#entries].reverse();
    this.#entries.clear();
    this.#timers.clear();
    // Abort first: work that listens to the signal starts winding down while the rest ends.
    try {
      this.#controller?.abort(abortReason(`scope ${this.name} disposed`));
    } catch (err) {
      errors.push(err);
    }
    for (const entry of entries) {
      try {
        await entry.end();
      } catch (err) {
        errors.push(err);
      }
    }
    return { errors };
  }
}

/**
 * The reason a disposed scope's signal carries. It has no captured stack: an error's unformatted
 * stack keeps its call sites, and they keep their receivers (the old version, the update that
 * replaced it ...) alive for as long as anyone holds the signal — one version pinning the next.
 */
function abortReason(message: string): DOMException {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new DOMException(message, 'AbortError');
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function isEventTarget(target: EmitterLike | EventTargetLike): target is EventTargetLike {
  return (
    typeof (target as EventTargetLike).addEventListener === 'function' &&
    typeof (target as EmitterLike).on !== 'function'
  );
}

async function endResource(resource: DisposableLike): Promise<void> {
  const r = resource as Partial<Record<PropertyKey, unknown>>;
  const asyncDispose = (Symbol as { asyncDispose?: symbol }).asyncDispose;
  const syncDispose = (Symbol as { dispose?: symbol }).dispose;
  if (asyncDispose && typeof r[asyncDispose] === 'function') {
    await (r[asyncDispose] as () => unknown).call(resource);
  } else if (syncDispose && typeof r[syncDispose] === 'function') {
    (r[syncDispose] as () => unknown).call(resource);
  } else if (typeof r.dispose === 'function') {
    await (r.dispose as () => unknown).call(resource);
  } else if (typeof r.close === 'function') {
    await (r.close as () => unknown).call(resource);
  } else if (typeof r.destroy === 'function') {
    await (r.destroy as () => unknown).call(resource);
  }
}

/**
 * Creates a scope.
 * @example
 * const scope = createScope('poller');
 * scope.setInterval(poll, 1000);
 * scope.on(process, 'SIGUSR1', dump);
 * await scope.dispose(); // interval cleared, listener removed
 */
export function createScope(name = 'scope'): Scope {
  return new ScopeImpl(name);
}
