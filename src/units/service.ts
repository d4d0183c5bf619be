/**
 * Services (layer 2): a long-lived instance (a client, a connection, a pool) swapped blue/green.
 *
 * A reload builds the next instance beside the live one (create → start → health check), and
 * only a healthy one is swapped in, atomically, at commit: dependents reach it through the
 * service's handle, and `onSwap` listeners rewire what a handle cannot reach. The replaced
 * instance is then drained (its leases, the work that started on it, run to their end, or are
 * cut by the drain timeout and reported) and only then closed. A step that fails closes the
 * new instance and leaves the live one untouched; the report names the step
 * (`HS_ERR_SERVICE_CREATE`, `_START`, `_HEALTH`) with the user's error as cause.
 *
 * An instance is a version of the service's handle, so leases, drain, eviction and the
 * `version-disposed` notices are the handle's own; this file adds the steps, the swap hooks,
 * the per-service drain timeout, config-driven reloads, and drain refusal.
 *
 * When is an instance rebuilt?
 * - first load (`added`): in prepare, or at commit when a dependency changes in the same reload
 *   (it is read only once it is committed: a config loaded in the same reload, another service);
 * - a reload that names the service, or every unit (a full reload): in prepare; when one of its
 *   dependencies changes in that same reload, in a follow-up reload right after it commits;
 * - a change of one of its `configKeys`: a follow-up reload once the config committed;
 * - never as a mere dependent of another unit (it reaches its dependencies through their
 *   handles), nor for a reload that names changed files (services are not read from files).
 */
import type { Logger } from 'pino';
import { HotswapError, oneLine, type SerializedError, serializeError } from '../errors.js';
import { createScope, type Scope } from '../scope.js';
import {
  createServiceHandle,
  type ServiceHandle,
  type ServiceHandleControl,
  type SwapListener,
} from './_service-handle.js';
import { runStep, type ServiceStep, StepTimeout, stepError } from './_service-steps.js';
import { compileKeyPattern, type KeyPattern } from './config/key-path.js';
import { createHandle, type Handle, type Version } from './handle.js';
import type {
  PrepareContext,
  PreparedChange,
  Trigger,
  Unit,
  UnitHost,
  UnitStatus,
} from './unit.js';

export type { ServiceHandle, ServiceStep, SwapListener };

/** What each step of bringing up a new instance is given. */
export interface ServiceContext<T> {
  /** The service's name. */
  readonly service: string;
  /** Generation the new instance gets if it goes live. */
  readonly generation: number;
  /** The live instance, if any: read it (a ledger to copy, a cursor), never close it. */
  readonly previous: T | undefined;
  /** Who asked for the reload. */
  readonly trigger: Trigger;
  /**
   * Aborted when the step runs out of time or the reload is abandoned: pass it to `connect`,
   * `fetch`, ... For what lives as long as the instance, use `scope.signal`.
   */
  readonly signal: AbortSignal;
  /**
   * The new instance's scope: timers, listeners and resources it owns. It ends just before
   * `close`, when the instance is retired, discarded, or fails a step.
   */
  readonly scope: Scope;
  /** Logger bound to the service. */
  readonly log: Logger;
}

/** Why an instance is closed. */
export type ServiceCloseReason =
  /** Replaced by a newer instance, and drained (or cut by the drain timeout: `forced`). */
  | 'retired'
  /** Built and started, but a later unit of the same reload failed before commit. */
  | 'discarded'
  /** Its own start or health check failed (the live instance stays). */
  | 'failed'
  /** The service was removed or the runtime closed. */
  | 'closed';

/** What `close` is told. */
export interface ServiceCloseInfo {
  /** The service's name. */
  readonly service: string;
  /** Generation of the instance being closed. */
  readonly generation: number;
  /** Why it is closed. */
  readonly reason: ServiceCloseReason;
  /** True when leases were still in flight on it: the drain timeout passed. */
  readonly forced: boolean;
  /** Aborted when the close runs out of time. */
  readonly signal: AbortSignal;
}

/** Milliseconds each step may take; a step that takes longer fails (and its instance is closed). */
export interface ServiceTimeouts {
  /** @default 30000 */
  create?: number;
  /** @default 30000 */
  start?: number;
  /** @default 10000 */
  health?: number;
  /** @default 10000 */
  close?: number;
}

/** One changed key, as a config subscription reports it. */
export interface ServiceConfigChange {
  /** Key path, e.g. `mqtt.clientId`. */
  readonly path: string;
  /** The same path split into keys. */
  readonly keys: readonly string[];
}

/**
 * Where `configKeys` are watched: a config unit (`createConfig`) or anything with the same
 * subscription shape.
 */
export interface ServiceConfigSource {
  /** Unit name (the service depends on it). */
  readonly name: string;
  /** Generation of the live configuration. */
  readonly generation: number;
  /**
   * What the config prepared in the runtime reload `reloadId` (a config unit has it). With it
   * and {@link preview}, a change of `configKeys` rebuilds the service in the same transaction.
   */
  staged?(reloadId: number):
    | {
        readonly generation: number;
        readonly changes: readonly ServiceConfigChange[];
      }
    | undefined;
  /** Runs `fn` with the config's reads showing what it prepared (see `staged`). */
  preview?<R>(fn: () => R): R;
  /** Subscribes to committed changes of keys matching `pattern`; returns the unsubscribe. */
  on(
    pattern: string,
    listener: (event: {
      readonly changes: readonly ServiceConfigChange[];
      readonly generation: number;
    }) => unknown,
  ): () => void;
}

/**
 * What a service needs of its runtime (a hotswap `Runtime` has it all): drain state, follow-up
 * reloads, the units it depends on, and what each transaction was asked for.
 */
export interface ServiceRuntime {
  /** True while draining. */
  readonly draining: boolean;
  /** The unit of this name; throws when there is none. */
  get(name: string): Unit;
  /** Queues a reload (never awaited from inside one). */
  reload(options: {
    units: readonly string[];
    trigger: Trigger;
  }): Promise<{ readonly ok: boolean; readonly summary: string }>;
  /** Runtime events: the service reads `reload-start` to know whether it was asked for. */
  on(
    event: 'reload-start',
    listener: (payload: {
      readonly id: number;
      readonly kind: string;
      readonly requested?: readonly string[] | 'all';
    }) => void,
  ): () => void;
}

/** Options of {@link createService}. `T` is the instance type, inferred from `create`. */
export interface ServiceOptions<T> {
  /**
   * Prepare phase, step 1: builds a new instance, off to the side; connect nothing yet (that is
   * `start`). A throw fails the reload with `HS_ERR_SERVICE_CREATE`; the live instance stays.
   */
  create(ctx: ServiceContext<T>): T | PromiseLike<T>;
  /**
   * Prepare phase, step 2: connects or opens the new instance, while the live one still serves
   * (both run side by side until commit). A throw fails the reload with `HS_ERR_SERVICE_START`,
   * and the new instance is closed. @default nothing to start
   */
  start?(instance: T, ctx: ServiceContext<T>): void | PromiseLike<void>;
  /**
   * Prepare phase, step 3: proves the started instance works (a ping, a round trip). Returning
   * `false` or throwing fails the reload with `HS_ERR_SERVICE_HEALTH`, and the new instance is
   * closed. @default healthy
   */
  healthCheck?(instance: T, ctx: ServiceContext<T>): unknown;
  /**
   * Ends an instance: after the swap once its leases are done (or the drain timeout passed),
   * or at once when it failed a step, was discarded, or the service closes. A throw or a
   * timeout is reported as `HS_ERR_SERVICE_CLOSE`. @default nothing to close
   */
  close?(instance: T, info: ServiceCloseInfo): void | PromiseLike<void>;
  /**
   * Commit phase: called right after the handle points at the new instance (see
   * {@link SwapListener}); a throw undoes the swap and fails the reload. Dependents can add
   * their own with `handle.onSwap()`.
   */
  onSwap?: SwapListener<T>;
  /** Units prepared and committed before this one (a config is added when `config` names it). @default [] */
  dependsOn?: readonly string[];
  /**
   * Milliseconds a replaced instance may keep its leases after the swap; then it is closed
   * anyway, and each lease cut is reported (`HS_ERR_LEASE_TIMEOUT`). @default 30000
   */
  drainTimeout?: number;
  /**
   * Config key paths (globs: `mqtt.*`, `llm.**`) the instance is built from: when a committed
   * config change touches one, the service reloads (trigger kind `config`, the keys as detail).
   * @default []
   */
  configKeys?: readonly string[];
  /**
   * The config `configKeys` belong to: a config unit, or its name.
   * @default the config unit (kind `config`) among `dependsOn`
   */
  config?: ServiceConfigSource | string;
  /** Time limits of the steps. */
  timeouts?: ServiceTimeouts;
}

/** Where a service is in its life. */
export type ServiceState =
  /** Nothing was loaded yet. */
  | 'unloaded'
  /** The first instance is being brought up. */
  | 'starting'
  /** An instance is live. */
  | 'active'
  /** An instance is live and its successor is being brought up beside it. */
  | 'swapping'
  /** The runtime drains: leases are refused. */
  | 'draining'
  /** The first instance failed to come up: nothing is live. */
  | 'failed'
  /** Closed for good. */
  | 'closed';

/** A swap as status shows it. */
export interface ServiceSwapInfo {
  /** Generation that went live. */
  generation: number;
  /** Generation it replaced, if any. */
  replaced?: number;
  /** When it went live, ISO 8601. */
  at: string;
  /** Milliseconds per step. */
  steps: Partial<Record<ServiceStep, number>>;
}

/** A replaced instance closed while work was still leased on it. */
export interface ServiceStraggler {
  /** Its generation. */
  generation: number;
  /** Leases cut. */
  leases: number;
  /** When, ISO 8601. */
  at: string;
  /** `HS_ERR_LEASE_TIMEOUT`. */
  error: SerializedError;
}

/** A service unit. Create with {@link createService}, or `runtime.service()`. */
export interface ServiceUnit<T> extends Unit {
  /** Always `service`. */
  readonly kind: 'service';
  /** The stable reference to the live instance. */
  readonly handle: ServiceHandle<T>;
  /** Where the service is in its life. */
  readonly state: ServiceState;
  /**
   * Connects the service to its runtime (drain refusal, config-driven reloads). `runtime.add()`
   * does it for a hotswap runtime; call it for a custom registry.
   */
  bind(runtime: ServiceRuntime): void;
  prepare(ctx: PrepareContext): Promise<PreparedChange | undefined>;
  status(): UnitStatus;
  attach(host: UnitHost): void;
  /** Closes every instance, the live one included, and stops following the config. */
  close(): Promise<void>;
}

/** Anything a service can be registered on (a runtime). */
export interface ServiceRegistry {
  /** Registers a unit (see `Runtime.add`). */
  add<U extends Unit>(unit: U): U;
}

interface Built<T> {
  readonly instance: T;
  readonly scope: Scope;
  readonly generation: number;
  readonly configGeneration: number | undefined;
  readonly steps: Partial<Record<ServiceStep, number>>;
}

const defaults = { create: 30_000, start: 30_000, health: 10_000, close: 10_000 } as const;
const keptStragglers = 10;

const round = (ms: number): number => Math.round(ms * 100) / 100;

class ServiceUnitImpl<T> implements ServiceUnit<T> {
  readonly name: string;
  readonly kind = 'service' as const;
  readonly dependsOn: readonly string[];
  readonly handle: ServiceHandleControl<T>;
  readonly #inner: Handle<T>;
  readonly #options: ServiceOptions<T>;
  readonly #timeouts: Required<ServiceTimeouts>;
  readonly #drainTimeout: number;
  readonly #patterns: KeyPattern[];
  #host: UnitHost | undefined;
  #runtime: ServiceRuntime | undefined;
  #offRuntime: (() => void) | undefined;
  #config: ServiceConfigSource | undefined;
  #offConfig: (() => void) | undefined;
  // Config generation the live instance was built from, and the last one a reload was asked for.
  #builtOn: number | undefined;
  #requestedOn = 0;
  // What the runtime's current transaction was asked for (from its `reload-start` event).
  #transaction: { id: number; kind: string; requested?: readonly string[] | 'all' } | undefined;
  #building = 0;
  // Highest generation ever committed: numbers are never reused, even after a rollback (the
  // undone instance may still be draining under its number).
  #highest = 0;
  #failedFirst = false;
  #closed = false;
  #swaps = 0;
  #lastSwap: ServiceSwapInfo | undefined;
  #lastError: SerializedError | undefined;
  readonly #stragglers: ServiceStraggler[] = [];
  // Replaced instances still retiring, with the time their drain times out.
  readonly #deadlines = new Map<Version<T>, number>();
  #drainTimer: NodeJS.Timeout | undefined;
  // Generations closed by the drain timeout, with the leases cut.
  readonly #cut = new Map<number, number>();
  // Why an instance the handle ends is closed, when it is not a plain retirement.
  readonly #reasons = new Map<number, ServiceCloseReason>();
  // Generations still leased when the service itself closed.
  readonly #leasedAtClose = new Set<number>();

  constructor(name: string, options: ServiceOptions<T>) {
    if (typeof name !== 'string' || name === '') {
      throw new TypeError('a service needs a name');
    }
    if (typeof options?.create !== 'function') {
      throw new TypeError(`service ${name}: create must be a function`);
    }
    this.name = name;
    this.#options = options;
    this.#timeouts = { ...defaults, ...dropUndefined(options.timeouts ?? {}) };
    this.#drainTimeout = options.drainTimeout ?? 30_000;
    // Malformed patterns are programming errors: say so now, not at the first config change.
    this.#patterns = (options.configKeys ?? []).map(compileKeyPattern);
    const deps = [...(options.dependsOn ?? [])];
    const config = options.config;
    const configName = typeof config === 'string' ? config : config?.name;
    if (configName !== undefined && !deps.includes(configName)) deps.push(configName);
    this.dependsOn = deps;
    if (typeof config === 'object') this.#config = config;
    this.#inner = createHandle<T>(name, {
      dispose: (instance, version) => this.#retired(instance, version),
    });
    this.handle = createServiceHandle(this.#inner, { draining: () => this.draining });
    // The option is the first listener: same order, same undo, same synchronous rule.
    if (options.onSwap) this.handle.onSwap(options.onSwap);
  }

  get generation(): number {
    return this.#inner.generation;
  }

  get draining(): boolean {
    return this.#runtime?.draining === true;
  }

  get state(): ServiceState {
    if (this.#closed) return 'closed';
    if (!this.#inner.ready) {
      if (this.#building > 0) return 'starting';
      return this.#failedFirst ? 'failed' : 'unloaded';
    }
    if (this.draining) return 'draining';
    return this.#building > 0 ? 'swapping' : 'active';
  }

  attach(host: UnitHost): void {
    this.#host = host;
    this.#inner.attach(host);
    // A hotswap runtime hands itself to its units along with the host.
    const runtime = (host as { runtime?: unknown }).runtime;
    if (isServiceRuntime(runtime)) this.bind(runtime);
  }

  bind(runtime: ServiceRuntime): void {
    if (this.#runtime === runtime) return;
    if (this.#runtime !== undefined) {
      throw new TypeError(`service ${this.name} already belongs to another runtime`);
    }
    this.#runtime = runtime;
    this.#offRuntime = runtime.on('reload-start', (event) => {
      this.#transaction = event;
    });
  }

  async prepare(ctx: PrepareContext): Promise<PreparedChange | undefined> {
    if (this.#closed) {
      throw new HotswapError('HS_ERR_UNIT_NOT_READY', `${this.name} is closed`, {
        unit: this.name,
      });
    }
    this.#followConfig();
    const changed = ctx.changedDependencies ?? [];
    if (!this.#inner.ready) {
      // What a dependency prepared in this reload is live only after its commit: read it then.
      if (changed.length > 0) return this.#createdAtCommit(ctx, changed);
      return this.#change(await this.#build(ctx), 'added');
    }
    // The config changes keys this service reads in this very reload: the next instance is
    // built now, from the next config, and commits with it, or neither does.
    const staged = this.#stagedConfig(ctx, changed);
    if (staged) {
      const { config, generation, keys } = staged;
      const built = await config.preview(() => this.#build(ctx, generation));
      const change = this.#change(built, 'refreshed');
      change.summary = `${change.summary}; config: ${keys.join(', ')}`;
      return change;
    }
    if (ctx.changedFiles.size > 0 || !this.#asked(ctx.reloadId)) return undefined;
    if (changed.length > 0) {
      this.#requestReload({
        ...ctx.trigger,
        detail: `after ${changed.join(', ')} changed${ctx.trigger.detail ? ` (${ctx.trigger.detail})` : ''}`,
      });
      return undefined;
    }
    return this.#change(await this.#build(ctx), 'refreshed');
  }

  status(): UnitStatus {
    const details: Record<string, unknown> = {
      leases: this.#inner.live?.leases ?? 0,
      instances: this.#inner.versions().map((v) => ({
        generation: v.generation,
        state: v.state,
        leases: v.leases,
      })),
      swaps: this.#swaps,
      drainTimeout: this.#drainTimeout,
    };
    if (this.#lastSwap) details.lastSwap = this.#lastSwap;
    if (this.#stragglers.length > 0) details.stragglers = [...this.#stragglers];
    if (this.#patterns.length > 0) {
      details.config = {
        unit: this.#config?.name ?? configNameOf(this.#options.config),
        keys: [...(this.#options.configKeys ?? [])],
        builtOn: this.#builtOn,
      };
    }
    const status: UnitStatus = {
      name: this.name,
      kind: this.kind,
      generation: this.#inner.generation,
      state: this.state,
      details,
    };
    if (this.#lastError) status.lastError = this.#lastError;
    return status;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#offConfig?.();
    this.#offRuntime?.();
    clearTimeout(this.#drainTimer);
    this.#deadlines.clear();
    for (const v of this.#inner.versions()) if (v.leases > 0) this.#leasedAtClose.add(v.generation);
    await this.#inner.close();
  }

  // ── when to rebuild ──────────────────────────────────────────────────────────────────────

  /** True when the transaction asked for this service (by name, or every unit). */
  #asked(reloadId: number): boolean {
    const t = this.#transaction;
    // Without the runtime's word (a custom registry), a prepare is taken as a request.
    if (t === undefined || t.id !== reloadId || t.requested === undefined) return true;
    if (t.kind !== 'reload') return false;
    return t.requested === 'all' || t.requested.includes(this.name);
  }

  #followConfig(): void {
    if (this.#patterns.length === 0 || this.#offConfig !== undefined) return;
    const config = this.#resolveConfig();
    // One listener for every key: a reload that touches several keys asks for one swap.
    this.#offConfig = config.on('**', (event) => {
      if (this.#closed) return;
      const keys = event.changes
        .filter((c) => this.#patterns.some((p) => p.overlaps(c.keys)))
        .map((c) => c.path);
      if (keys.length === 0) return;
      // Built from this generation already (created at commit after it), or already asked.
      if (this.#builtOn !== undefined && event.generation <= this.#builtOn) return;
      if (event.generation <= this.#requestedOn) return;
      this.#requestedOn = event.generation;
      this.#requestReload({ kind: 'config', by: config.name, detail: keys.join(', ') });
    });
    this.#config = config;
  }

  /** The config change of this reload that concerns `configKeys`, when it can be previewed. */
  #stagedConfig(
    ctx: PrepareContext,
    changed: readonly string[],
  ):
    | { config: Required<Pick<ServiceConfigSource, 'preview'>>; generation: number; keys: string[] }
    | undefined {
    const config = this.#config;
    if (!config?.staged || !config.preview || !changed.includes(config.name)) return undefined;
    const staged = config.staged(ctx.reloadId);
    if (staged === undefined) return undefined;
    const keys = staged.changes
      .filter((c) => this.#patterns.some((p) => p.overlaps(c.keys)))
      .map((c) => c.path);
    if (keys.length === 0) return undefined;
    return { config: config as Required<ServiceConfigSource>, generation: staged.generation, keys };
  }

  #resolveConfig(): ServiceConfigSource {
    const runtime = this.#runtime;
    if (runtime === undefined) {
      throw new HotswapError(
        'HS_ERR_UNIT_PREPARE',
        `${this.name}: configKeys need the runtime the service reloads through`,
        { unit: this.name, hint: 'add the service with runtime.add() or runtime.service()' },
      );
    }
    if (this.#config) return this.#config;
    const named = this.#options.config;
    const candidates =
      typeof named === 'string'
        ? [runtime.get(named)]
        : this.dependsOn.map((dep) => runtime.get(dep)).filter((u) => u.kind === 'config');
    const found = candidates.find((u): u is Unit & ServiceConfigSource => isConfigSource(u));
    if (found === undefined) {
      throw new HotswapError(
        'HS_ERR_UNIT_PREPARE',
        `${this.name}: configKeys (${(this.#options.configKeys ?? []).join(', ')}) need a config: ` +
          `${typeof named === 'string' ? `${named} is not one` : 'none among dependsOn'}`,
        { unit: this.name, hint: 'pass `config` (the config unit or its name)' },
      );
    }
    return found;
  }

  #requestReload(trigger: Trigger): void {
    const runtime = this.#runtime;
    if (runtime === undefined || this.#closed) return;
    // Never awaited: a request made inside a transaction runs as its follow-up.
    runtime.reload({ units: [this.name], trigger }).then(
      (report) => {
        if (!report.ok) this.#host?.log.debug({ unit: this.name }, 'follow-up reload failed');
      },
      (err: unknown) =>
        this.#host?.log.warn({ err, unit: this.name }, 'could not ask for a reload'),
    );
  }

  // ── bringing up an instance ──────────────────────────────────────────────────────────────

  async #build(ctx: PrepareContext, stagedGeneration?: number): Promise<Built<T>> {
    const generation = this.#highest + 1;
    const scope = createScope(`${this.name}@${generation}`);
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(ctx.signal.reason);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const sctx: ServiceContext<T> = {
      service: this.name,
      generation,
      previous: this.#inner.ready ? this.#inner.current : undefined,
      trigger: ctx.trigger,
      signal: controller.signal,
      scope,
      log: ctx.log,
    };
    // Read before create: if the config moves on while the instance is built, the next change
    // event is newer than this and asks for another swap (never one too few).
    const configGeneration = stagedGeneration ?? this.#config?.generation;
    const steps: Partial<Record<ServiceStep, number>> = {};
    const options = this.#options;
    let instance: T | undefined;
    let created = false;
    let step: ServiceStep = 'create';
    this.#building++;
    try {
      instance = await this.#step('create', steps, controller, () => options.create(sctx));
      created = true;
      const made = instance;
      step = 'start';
      if (options.start)
        await this.#step('start', steps, controller, () => options.start?.(made, sctx));
      step = 'health';
      if (options.healthCheck) {
        await this.#step('health', steps, controller, async () => {
          const healthy: unknown = await options.healthCheck?.(made, sctx);
          if (healthy === false) throw new Error('the health check returned false');
        });
      }
      this.#lastError = undefined;
      return { instance: made, scope, generation, configGeneration, steps };
    } catch (cause) {
      const error = stepError(
        this.name,
        step,
        generation,
        cause,
        this.#inner.ready
          ? `generation ${this.#inner.generation} stays live`
          : 'no instance is live yet',
      );
      if (!this.#inner.ready) this.#failedFirst = true;
      this.#lastError = serializeError(error);
      if (created) await this.#endQuietly(instance as T, generation, scope, 'failed', ctx.log);
      else await scope.dispose();
      throw error;
    } finally {
      this.#building--;
      ctx.signal.removeEventListener('abort', onAbort);
    }
  }

  async #step<R>(
    step: ServiceStep,
    steps: Partial<Record<ServiceStep, number>>,
    controller: AbortController,
    fn: () => R | PromiseLike<R>,
  ): Promise<Awaited<R>> {
    const started = performance.now();
    try {
      return await runStep(step, this.#timeouts[step], controller.signal, fn);
    } catch (err) {
      // The user's code sees the step's signal abort too (a connect to abandon).
      if (err instanceof StepTimeout) controller.abort(err);
      throw err;
    } finally {
      steps[step] = round(performance.now() - started);
    }
  }

  // ── the change the runtime commits ───────────────────────────────────────────────────────

  #change(built: Built<T>, outcome: 'added' | 'refreshed'): PreparedChange {
    const { instance, scope, generation, configGeneration, steps } = built;
    const handle = this.handle;
    const inner = this.#inner;
    let previous: Version<T> | undefined;
    let builtBefore: number | undefined;
    let committed = false;
    // Once the handle owns the instance, the handle ends it (after its leases), never discard.
    let handedOver = false;
    return {
      outcome,
      summary: `generation ${generation} (${formatSteps(steps)})`,
      commit: () => {
        previous = inner.swap(instance, { scope, generation });
        handedOver = true;
        try {
          handle.notifySwap(instance, previous?.value);
        } catch (err) {
          // notifySwap re-pointed the listeners it had called; put the handle back too.
          const replaced = inner.restore(previous);
          if (replaced) void this.#retire(replaced, 'discarded');
          throw new HotswapError(
            'HS_ERR_UNIT_COMMIT',
            `${this.name}: onSwap threw: ${oneLine(err)}; generation ${previous?.generation ?? 0} stays live`,
            { unit: this.name, cause: err },
          );
        }
        builtBefore = this.#builtOn;
        if (configGeneration !== undefined) this.#builtOn = configGeneration;
        this.#highest = Math.max(this.#highest, generation);
        committed = true;
      },
      rollback: () => {
        if (!committed) return;
        committed = false;
        const replaced = inner.restore(previous);
        this.#builtOn = builtBefore;
        const errors = previous ? handle.notifyUndo(previous.value, instance) : [];
        if (replaced) void this.#retire(replaced, 'discarded');
        if (errors.length > 0) {
          throw new HotswapError(
            'HS_ERR_UNIT_UNDO',
            `${this.name}: an onSwap listener threw while the swap was undone: ${oneLine(errors[0])}`,
            { unit: this.name, cause: errors[0] },
          );
        }
      },
      discard: async () => {
        if (handedOver) return;
        handedOver = true;
        await this.#endQuietly(instance, generation, scope, 'discarded', this.#host?.log);
      },
      finalize: () => {
        this.#swaps++;
        this.#lastSwap = {
          generation,
          ...(previous ? { replaced: previous.generation } : {}),
          at: new Date().toISOString(),
          steps,
        };
        this.#failedFirst = false;
        if (previous) void this.#retire(previous);
      },
    };
  }

  /** First load behind a dependency prepared in the same reload: built at commit, after it. */
  #createdAtCommit(ctx: PrepareContext, changed: readonly string[]): PreparedChange {
    let change: PreparedChange | undefined;
    return {
      outcome: 'added',
      summary: `created at commit, after ${changed.join(', ')}`,
      commit: async () => {
        change = this.#change(await this.#build(ctx), 'added');
        await change.commit();
      },
      rollback: () => change?.rollback(),
      discard: async () => {
        await change?.discard();
      },
      finalize: () => change?.finalize?.(),
    };
  }

  // ── retiring, draining, closing ──────────────────────────────────────────────────────────

  /** Retires a replaced instance: closed when its leases end, or when the drain times out. */
  #retire(version: Version<T>, reason: ServiceCloseReason = 'retired'): Promise<void> {
    if (reason !== 'retired') this.#reasons.set(version.generation, reason);
    this.#deadlines.set(version, performance.now() + this.#drainTimeout);
    const ended = this.#inner.retire(version).then(() => {
      this.#deadlines.delete(version);
      this.#checkDrain();
    });
    this.#checkDrain();
    return ended;
  }

  /**
   * `handle.evict()` closes every retiring instance still leased, so it runs only once all of
   * them are past their own deadline: a version is never cut before its drain timeout, and one
   * past it waits at most for the deadline of a younger one still draining.
   */
  #checkDrain(): void {
    clearTimeout(this.#drainTimer);
    this.#drainTimer = undefined;
    if (this.#closed) return;
    const now = performance.now();
    const leased = [...this.#deadlines].filter(([v]) => v.state === 'retiring' && v.leases > 0);
    if (leased.length === 0) return;
    const pending = leased.map(([, at]) => at).filter((at) => at > now);
    if (pending.length === 0) {
      for (const [v] of leased) this.#cut.set(v.generation, v.leases);
      void this.#inner.evict();
      return;
    }
    const next = pending.length < leased.length ? Math.max(...pending) : Math.min(...pending);
    // An infinite drainTimeout waits for the leases alone (and no timer may overflow).
    if (!Number.isFinite(next)) return;
    const delay = Math.min(2_147_483_647, Math.max(1, Math.ceil(next - now)));
    this.#drainTimer = setTimeout(() => this.#checkDrain(), delay);
    // A drain timer alone must not keep a process alive that has nothing else to do.
    this.#drainTimer.unref();
  }

  /** The handle's dispose hook: a replaced (or, at close, any) instance ends. */
  async #retired(instance: T, version: Version<T>): Promise<void> {
    const cut = this.#cut.get(version.generation);
    this.#cut.delete(version.generation);
    const reason = this.#closed ? 'closed' : (this.#reasons.get(version.generation) ?? 'retired');
    this.#reasons.delete(version.generation);
    const forced = cut !== undefined || this.#leasedAtClose.delete(version.generation);
    await this.#close(instance, version.generation, reason, forced);
    if (cut !== undefined) {
      const error = new HotswapError(
        'HS_ERR_LEASE_TIMEOUT',
        `${this.name}: generation ${version.generation} was closed with ${cut} lease(s) still in ` +
          `flight after the ${this.#drainTimeout} ms drain timeout`,
        { unit: this.name, hint: 'in-flight work must release its lease, or raise drainTimeout' },
      );
      this.#stragglers.push({
        generation: version.generation,
        leases: cut,
        at: new Date().toISOString(),
        error: serializeError(error),
      });
      while (this.#stragglers.length > keptStragglers) this.#stragglers.shift();
      // Thrown to the handle, which reports it with the disposal (`version-disposed` errors).
      throw error;
    }
  }

  async #close(
    instance: T,
    generation: number,
    reason: ServiceCloseReason,
    forced = false,
  ): Promise<void> {
    const close = this.#options.close;
    if (close === undefined) return;
    try {
      await runStep('close', this.#timeouts.close, undefined, (signal) =>
        close(instance, {
          service: this.name,
          generation,
          reason,
          forced,
          signal,
        }),
      );
    } catch (cause) {
      throw stepError(this.name, 'close', generation, cause);
    }
  }

  /** Ends an instance that never went live; a failure to close it is logged, not thrown. */
  async #endQuietly(
    instance: T,
    generation: number,
    scope: Scope,
    reason: ServiceCloseReason,
    log: Logger | undefined,
  ): Promise<void> {
    const { errors } = await scope.dispose();
    try {
      await this.#close(instance, generation, reason);
    } catch (err) {
      errors.push(err);
    }
    for (const err of errors) {
      log?.warn({ err, unit: this.name, generation }, `closing generation ${generation} failed`);
    }
  }
}

function formatSteps(steps: Partial<Record<ServiceStep, number>>): string {
  return Object.entries(steps)
    .map(([step, ms]) => `${step} ${ms} ms`)
    .join(', ');
}

function dropUndefined<O extends object>(o: O): Partial<O> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<O>;
}

function configNameOf(config: ServiceConfigSource | string | undefined): string | undefined {
  return typeof config === 'string' ? config : config?.name;
}

function isServiceRuntime(value: unknown): value is ServiceRuntime {
  const r = value as Partial<ServiceRuntime> | null | undefined;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.reload === 'function' &&
    typeof r.get === 'function' &&
    typeof r.on === 'function' &&
    'draining' in r
  );
}

function isConfigSource(unit: unknown): unit is ServiceConfigSource {
  const u = unit as Partial<ServiceConfigSource> | null | undefined;
  return typeof u?.on === 'function' && typeof u.name === 'string';
}

/**
 * Creates a service unit: a long-lived instance swapped blue/green (see the file comment).
 * Add it with `runtime.add(unit)`; the first reload brings it up (outcome `added`).
 * @example
 * const db = createService('db', {
 *   dependsOn: ['config'],
 *   configKeys: ['db.*'],
 *   create: () => new Pool(config.get('db')),
 *   start: (pool) => pool.connect(),
 *   healthCheck: (pool) => pool.query('select 1'),
 *   close: (pool) => pool.end(),
 * });
 * runtime.add(db);
 * await runtime.reload();
 * await db.handle.withLease((pool) => pool.query('select now()'));
 */
export function createService<T>(name: string, options: ServiceOptions<T>): ServiceUnit<T> {
  return new ServiceUnitImpl(name, options);
}

/**
 * Registers a service on `registry` (a runtime) and returns its handle; `runtime.service()` is
 * the same call.
 * @example
 * const llm = registerService(runtime, 'llm', { create: () => new ChatClient(config.get('llm')) });
 * await runtime.reload();
 * await llm.withLease((client) => client.complete('hello'));
 */
export function registerService<T>(
  registry: ServiceRegistry,
  name: string,
  options: ServiceOptions<T>,
): ServiceHandle<T> {
  const unit = registry.add(createService(name, options));
  if (isServiceRuntime(registry)) unit.bind(registry);
  return unit.handle;
}
