/**
 * A module-like unit (after the seed design "HotModule": name, file, state keys, delegation
 * targets): each reload asks a `versionSource` for the next version object, carries the named
 * state into it (through `migrate` when given), and swaps the unit's handle at commit.
 *
 * Loader-independent on purpose: the loader-backed module unit plugs in by passing a
 * `versionSource` that evaluates the changed module graph, and `get`/`set` for state kept in
 * `import.meta.hot.data`. Everything else (state, migrate, leases, rollback) is shared.
 */
import type { Logger } from 'pino';
import { HotswapError } from '../errors.js';
import { createScope, type Scope } from '../scope.js';
import { createHandle, type Handle, type MethodKeys, type Version } from './handle.js';
import { carryState, type Migrate, type MigrateDirection, type StateAccess } from './hot-state.js';
import type {
  PrepareContext,
  PreparedChange,
  Trigger,
  Unit,
  UnitHost,
  UnitKind,
  UnitStatus,
} from './unit.js';

/**
 * What a {@link VersionSource} is given. `P` types `previous`: annotate the parameter as
 * `VersionContext<MyVersion>` to read it typed.
 */
export interface VersionContext<P = unknown> {
  /** The unit's name. */
  readonly unit: string;
  /** Generation the new version will get if it commits. */
  readonly generation: number;
  /** The live version (read it, never change it: it is still serving). */
  readonly previous: P | undefined;
  /** The reload this version is prepared for. */
  readonly reloadId: number;
  /** Who asked for the reload. */
  readonly trigger: Trigger;
  /** Files known to have changed; empty when unknown. */
  readonly changedFiles: ReadonlySet<string>;
  /** Dependencies that prepared a change in the same reload. */
  readonly changedDependencies: readonly string[];
  /** Aborted when the reload is abandoned. */
  readonly signal: AbortSignal;
  /** Logger bound to the unit. */
  readonly log: Logger;
  /**
   * The new version's scope: resources created while preparing (a module's scope, a client
   * the version uses) are handed to it. It ends when the version is discarded, or replaced and
   * its last lease released. Start nothing live here: that belongs in `activate`, at commit.
   */
  readonly scope: Scope;
}

/**
 * Prepare phase: builds the next version object off to the side, or returns `undefined` when
 * nothing changed. Throwing fails the reload and changes nothing.
 */
export type VersionSource<T> = (
  ctx: VersionContext<T>,
) => T | undefined | PromiseLike<T | undefined>;

/** Stable delegating functions for the keys `K` that are methods of `T`. */
export type Delegates<T, K extends string> = Pick<T, Extract<K, MethodKeys<T>>>;

/**
 * Options of {@link createHotUnit}. `T` (the version type) is inferred from what
 * `versionSource` returns; `K` from `delegates`.
 */
export interface HotUnitOptions<T extends object, K extends string = never>
  extends StateAccess<NoInfer<T>> {
  /** Unique unit name. */
  name: string;
  /** @default 'module' */
  kind?: UnitKind;
  /** Units that prepare and commit before this one. @default [] */
  dependsOn?: readonly string[];
  /**
   * Absolute paths the versions are read from. When a reload names changed files and none of
   * these is among them (and no dependency changed), the unit stays `unchanged` without calling
   * `versionSource`. Also what the file watcher watches. @default []
   */
  files?: readonly string[];
  /**
   * Prepare phase: builds the next version (see {@link VersionSource}). In an object literal it
   * returns, `this` is the version.
   */
  versionSource(ctx: VersionContext): (T & ThisType<T>) | undefined | PromiseLike<T | undefined>;
  /** Names of the version's properties carried from each version to the next. @default [] */
  state?: readonly string[];
  /** Commit phase: reshapes the carried state (Erlang's `code_change`). A throw keeps the old version. */
  migrate?: Migrate;
  /**
   * Commit phase, before the swap: starts what brings the version new work (listeners, timers)
   * on `scope`, which ends the moment the version stops being live: never two versions
   * listening at once. (The version scope of `versionSource` lives on until the version's
   * leases end.) Runs again when a rollback brings the version back. Keep it synchronous: an
   * `await` here lets old code run on carried state.
   */
  activate?(version: NoInfer<T>, scope: Scope): void | PromiseLike<void>;
  /** Verify phase: checks the committed version; a throw rolls the reload back. */
  verify?(version: NoInfer<T>): void | PromiseLike<void>;
  /** Ends a version's value after its scope (when replaced and its leases are done). */
  dispose?(version: NoInfer<T>): void | PromiseLike<void>;
  /** Methods exposed as stable delegating functions in `unit.delegates`. @default [] */
  delegates?: readonly K[];
  /** Earlier versions kept for `rollback(steps)`. @default 5 */
  keep?: number;
  /**
   * Commit phase, after the swap, when the replaced version still has work leased to it: called
   * with a promise that settles once that version retired. A unit whose versions live in
   * something else (a module unit's in the code unit) keeps them alive until then.
   */
  holdReplaced?(until: Promise<unknown>): void;
  /**
   * Rollback phase: builds the version `kept` was afresh, instead of bringing its value back
   * (whose version scope ended when it was replaced). Returns the new value with the steps that
   * go with its swap, or undefined to bring `kept.value` back.
   */
  revive?(kept: {
    readonly generation: number;
    readonly value: T;
  }): Promise<Revived<T> | undefined>;
}

/** A version rebuilt for a rollback (see {@link HotUnitOptions.revive}). */
export interface Revived<T> {
  readonly value: T;
  /** Runs just before the swap. */
  commit(): void;
  /** Undoes `commit`. */
  rollback(): void | Promise<void>;
  /** Drops a revived version that was never committed. */
  discard(): void | Promise<void>;
  /** After the swap stays. */
  finalize(): void | Promise<void>;
}

/** A module-like unit made by {@link createHotUnit}. */
export interface HotUnit<T extends object, K extends string = never> extends Unit {
  /** The stable reference to the live version. */
  readonly handle: Handle<T>;
  /** Stable delegating functions for the `delegates` option. */
  readonly delegates: Delegates<T, K>;
  prepare(ctx: PrepareContext): Promise<PreparedChange | undefined>;
  prepareRollback(steps: number, ctx: PrepareContext): Promise<PreparedChange>;
  status(): UnitStatus;
  close(): Promise<void>;
}

/** Anything units can be registered on (a runtime). */
export interface UnitRegistry {
  /** Registers `unit`; throws `HS_ERR_UNIT_DUPLICATE` when the name is taken. */
  add<U extends Unit>(unit: U): U;
  /** True when a unit of this name is registered. */
  has(name: string): boolean;
  /** The unit of this name; throws `HS_ERR_UNIT_UNKNOWN`. */
  get(name: string): Unit;
}

interface Kept<T> {
  generation: number;
  value: T;
}

class HotUnitImpl<T extends object, K extends string> implements HotUnit<T, K> {
  readonly name: string;
  readonly kind: UnitKind;
  readonly dependsOn: readonly string[];
  readonly handle: Handle<T>;
  readonly delegates: Delegates<T, K>;
  readonly #options: HotUnitOptions<T, K>;
  readonly #files: ReadonlySet<string>;
  readonly #keep: number;
  // Committed versions, oldest first, the live one last; bounded by `keep`.
  readonly #history: Kept<T>[] = [];
  #generation = 0;
  // What the live version's `activate` started; ended as soon as the version stops being live.
  #activation: Scope | undefined;
  #host: UnitHost | undefined;

  constructor(options: HotUnitOptions<T, K>) {
    if (typeof options.versionSource !== 'function') {
      throw new TypeError(`hot unit ${options.name}: versionSource must be a function`);
    }
    this.name = options.name;
    this.kind = options.kind ?? 'module';
    this.dependsOn = [...(options.dependsOn ?? [])];
    this.#options = options;
    this.#files = new Set(options.files ?? []);
    this.#keep = Math.max(0, options.keep ?? 5);
    this.handle = createHandle<T>(options.name, {
      dispose: options.dispose ? (value) => options.dispose?.(value) : undefined,
    });
    this.delegates = this.handle.delegateAll(
      (options.delegates ?? []) as unknown as readonly Extract<K, MethodKeys<T>>[],
    );
  }

  get generation(): number {
    return this.handle.generation;
  }

  attach(host: UnitHost): void {
    this.#host = host;
    this.handle.attach(host);
  }

  watchPaths(): readonly string[] {
    return [...this.#files];
  }

  async prepare(ctx: PrepareContext): Promise<PreparedChange | undefined> {
    const changedDependencies = ctx.changedDependencies ?? [];
    if (this.handle.ready && this.#untouched(ctx.changedFiles, changedDependencies)) {
      return undefined;
    }
    const generation = this.#generation + 1;
    const scope = createScope(`${this.name}@${generation}`);
    let value: T | undefined;
    try {
      value = await this.#options.versionSource({
        unit: this.name,
        generation,
        previous: this.handle.ready ? this.handle.current : undefined,
        reloadId: ctx.reloadId,
        trigger: ctx.trigger,
        changedFiles: ctx.changedFiles,
        changedDependencies,
        signal: ctx.signal,
        log: ctx.log,
        scope,
      });
    } catch (err) {
      await scope.dispose();
      throw err;
    }
    // The same object back means the source found nothing new (a cached module).
    if (value === undefined || (this.handle.ready && value === this.handle.current)) {
      await scope.dispose();
      return undefined;
    }
    return this.#change(value, scope, generation, 'upgrade');
  }

  async prepareRollback(steps: number, _ctx: PrepareContext): Promise<PreparedChange> {
    const target = this.#history[this.#history.length - 1 - steps];
    if (!Number.isInteger(steps) || steps < 1 || target === undefined) {
      throw new HotswapError(
        'HS_ERR_UNIT_ROLLBACK',
        `${this.name}: no version ${steps} commit(s) back (kept: ${Math.max(0, this.#history.length - 1)})`,
        { unit: this.name, hint: `raise \`keep\` (now ${this.#keep}) to keep more versions` },
      );
    }
    const generation = this.#generation + 1;
    const scope = createScope(`${this.name}@${generation}`);
    const revived = await this.#options.revive?.(target);
    if (revived === undefined) {
      return this.#change(target.value, scope, generation, 'downgrade', target.generation);
    }
    const change = this.#change(revived.value, scope, generation, 'downgrade', target.generation);
    return {
      ...change,
      commit: async () => {
        revived.commit();
        try {
          await change.commit();
        } catch (err) {
          await revived.rollback();
          throw err;
        }
      },
      rollback: async () => {
        await change.rollback();
        await revived.rollback();
      },
      discard: async () => {
        await change.discard();
        await revived.discard();
      },
      finalize: async () => {
        await change.finalize?.();
        await revived.finalize();
      },
    };
  }

  status(): UnitStatus {
    return {
      name: this.name,
      kind: this.kind,
      generation: this.handle.generation,
      state: this.handle.ready ? 'active' : 'unloaded',
      details: {
        leases: this.handle.leases,
        versions: this.handle.versions().length,
        kept: Math.max(0, this.#history.length - 1),
      },
    };
  }

  async close(): Promise<void> {
    this.#history.length = 0;
    await this.handle.close();
  }

  #untouched(changedFiles: ReadonlySet<string>, changedDependencies: readonly string[]): boolean {
    if (changedDependencies.length > 0 || changedFiles.size === 0 || this.#files.size === 0) {
      return false;
    }
    for (const file of this.#files) if (changedFiles.has(file)) return false;
    return true;
  }

  #change(
    value: T,
    scope: Scope,
    generation: number,
    direction: MigrateDirection,
    restoredFrom?: number,
  ): PreparedChange {
    const options = this.#options;
    const handle = this.handle;
    const keys = options.state ?? [];
    let previous: Version<T> | undefined;
    let previousActivation: Scope | undefined;
    let activation: Scope | undefined;
    let committed = false;
    let releaseHold: (() => void) | undefined;
    return {
      outcome: handle.ready ? 'refreshed' : 'added',
      summary:
        restoredFrom === undefined
          ? `generation ${generation}`
          : `generation ${generation} = generation ${restoredFrom}`,
      commit: async () => {
        const from = handle.live;
        if (from !== undefined && keys.length > 0) {
          carryState({
            unit: this.name,
            from: from.value,
            to: value,
            keys,
            migrate: options.migrate,
            info: { from: from.generation, to: generation, direction },
            get: options.get,
            set: options.set,
          });
        }
        if (options.activate) {
          activation = scope.child(`${this.name}@${generation}/activation`);
          await options.activate(value, activation);
        }
        previous = handle.swap(value, { scope, generation });
        if (previous && previous.leases > 0 && options.holdReplaced) {
          options.holdReplaced(
            new Promise<void>((resolve) => {
              releaseHold = resolve;
            }),
          );
        }
        previousActivation = this.#activation;
        this.#activation = activation;
        this.#generation = generation;
        committed = true;
        // The replaced version stops taking new work now (its listeners, its timers); what it
        // holds for work in flight (its version scope) stays until its leases end.
        await this.#end(previousActivation);
      },
      rollback: async () => {
        if (!committed) return;
        committed = false;
        releaseHold?.();
        await this.#end(activation);
        this.#activation = undefined;
        const replaced = handle.restore(previous);
        // The undone version may hold leases taken since commit: it ends when they do.
        if (replaced) void handle.retire(replaced);
        if (previous && previousActivation && options.activate) {
          const again = (previous.scope ?? scope).child(
            `${this.name}@${previous.generation}/activation`,
          );
          this.#activation = again;
          await options.activate(previous.value, again);
        }
      },
      discard: async () => {
        await scope.dispose();
      },
      verify: options.verify
        ? async () => {
            await options.verify?.(value);
          }
        : undefined,
      finalize: () => {
        if (previous) {
          const release = (): void => releaseHold?.();
          handle.retire(previous).then(release, release);
        }
        this.#history.push({ generation, value });
        while (this.#history.length > this.#keep + 1) this.#history.shift();
      },
    };
  }

  async #end(activation: Scope | undefined): Promise<void> {
    if (activation === undefined) return;
    const { errors } = await activation.dispose();
    for (const err of errors) {
      this.#host?.log.warn({ err, unit: this.name }, 'ending an activation threw');
    }
  }
}

/**
 * Creates a module-like unit. Add it with `runtime.add(unit)`; the first reload loads it
 * (outcome `added`).
 * @example
 * const greeter = createHotUnit({
 *   name: 'greeter',
 *   versionSource: () => ({ count: 0, greet(n: string) { return `hi ${n} #${++this.count}`; } }),
 *   state: ['count'],
 *   delegates: ['greet'],
 * });
 * runtime.add(greeter);
 * await runtime.reload();
 * greeter.delegates.greet('ada');
 */
export function createHotUnit<T extends object, K extends string = never>(
  options: HotUnitOptions<T, K>,
): HotUnit<T, K> {
  return new HotUnitImpl(options);
}

/**
 * Registers a module-like unit on `registry` (a runtime) and returns its handle: a new hot unit
 * without touching the runtime's code. `runtime.register(options)` is the same call.
 * @example
 * const render = registerHotUnit(runtime, { name: 'ui', versionSource: () => import('./ui.js') });
 */
export function registerHotUnit<T extends object, K extends string = never>(
  registry: UnitRegistry,
  options: HotUnitOptions<T, K>,
): Handle<T> {
  return registry.add(createHotUnit(options)).handle;
}
