/**
 * The runtime: the stable kernel of a process. It owns the units, the reload queue (one
 * transaction at a time), leases and drain, the bounded history of reports, typed events,
 * structured logs and the status a UI shows. It knows nothing of what a unit is made of.
 */
import type { Logger } from 'pino';
import { HotswapError, type SerializedError, serializeError } from '../errors.js';
import { type Handle, type Lease, runLeased } from '../units/handle.js';
import { type HotUnitOptions, registerHotUnit, type UnitRegistry } from '../units/hot-unit.js';
import { registerService, type ServiceHandle, type ServiceOptions } from '../units/service.js';
import type { Trigger, Unit, UnitHost, UnitNotice } from '../units/unit.js';
import { nearestNames } from './_suggest.js';
import { createDrain, type DrainOptions, type DrainResult } from './drain.js';
import {
  createEventBus,
  type RuntimeEventName,
  type RuntimeEvents,
  type RuntimeListener,
} from './events.js';
import { createHistory } from './history.js';
import { createLeaseRegistry } from './lease.js';
import { createLogger, type LoggerOption, logEvents, logReport } from './logger.js';
import { dependentsOf, orderUnits } from './order.js';
import { createReloadQueue, type MergedRequest, type ReloadRequest } from './queue.js';
import type { ReloadReport } from './report.js';
import {
  type RuntimeErrorState,
  type RuntimeStatus,
  type UnitRecord,
  unitStatusEntry,
  workerStatusEntry,
} from './status.js';
import { type PlanItem, runTransaction } from './transaction.js';

/** Options of {@link createRuntime}. */
export interface RuntimeOptions {
  /** Name in logs, events and status. @default 'hotswap' */
  name?: string;
  /**
   * A pino logger, pino options, or `false` for silence.
   * @default pino to stderr at `HOTSWAP_LOG_LEVEL` (or `info`)
   */
  logger?: LoggerOption;
  /** Reports kept in `history()`. @default 50 */
  history?: number;
  /** Milliseconds a worker may take to reach a safe point before a reload aborts. @default 5000 */
  pauseTimeout?: number;
  /** Milliseconds `drain()` waits for in-flight work. @default 30000 */
  drainTimeout?: number;
}

/** Options of `runtime.reload()`. */
export interface ReloadOptions {
  /**
   * Units to reload. @default every unit
   *
   * Units that depend on them (directly or not) come too, unless `dependents` is false: a
   * dependent may hold something derived from its dependency, and its own prepare decides
   * whether it changed (`ctx.changedDependencies`). Dependencies are never added: they are live.
   */
  units?: string | readonly string[];
  /** Include the units that depend on `units`. @default true */
  dependents?: boolean;
  /** Who asked. @default { kind: 'api' } */
  trigger?: Trigger;
  /** Files known to have changed (absolute paths); omitted when unknown. */
  changedFiles?: Iterable<string>;
}

/** Options of `runtime.rollback()`. */
export interface RollbackOptions {
  /** Who asked. @default { kind: 'rollback' } */
  trigger?: Trigger;
}

/** What `runtime.close()` resolves with. */
export interface CloseResult {
  /** Errors thrown while closing units (each unit is closed regardless). */
  errors: SerializedError[];
}

/** The stable kernel of a process. Create with {@link createRuntime}. */
export interface Runtime extends UnitRegistry {
  /** Runtime name. */
  readonly name: string;
  /** The runtime's logger (units get children of it). */
  readonly log: Logger;
  /** True while draining: refuse new work. */
  readonly draining: boolean;
  /** True while a transaction runs. */
  readonly reloading: boolean;
  /** True once `close()` was called. */
  readonly closed: boolean;
  /**
   * Registers a unit; the next reload loads it (outcome `added`). Throws `HS_ERR_UNIT_DUPLICATE`
   * for a taken name and `HS_ERR_UNIT_CYCLE` when its dependencies close a cycle.
   */
  add<U extends Unit>(unit: U): U;
  /**
   * Unregisters and closes a unit, after the running transaction. Rejects with
   * `HS_ERR_UNIT_UNKNOWN`, or `HS_ERR_UNIT_IN_USE` when other units depend on it.
   */
  remove(name: string): Promise<void>;
  /** True when a unit of this name is registered. */
  has(name: string): boolean;
  /** The unit of this name; throws `HS_ERR_UNIT_UNKNOWN` (with the nearest names). */
  get(name: string): Unit;
  /** Every unit, in registration order. */
  units(): Unit[];
  /** Registers a module-like unit (see `createHotUnit`) and returns its handle. */
  register<T extends object, K extends string = never>(options: HotUnitOptions<T, K>): Handle<T>;
  /**
   * Registers a service (see `createService`): a long-lived instance swapped blue/green, and
   * returns its handle. The next reload brings it up.
   */
  service<T>(name: string, options: ServiceOptions<T>): ServiceHandle<T>;
  /**
   * Reloads units as one transaction and resolves its report; never rejects for a failed
   * reload (the report says what failed), only for unknown unit names or a closed runtime.
   */
  reload(options?: ReloadOptions): Promise<ReloadReport>;
  /**
   * Returns units to the version committed `steps` commits ago, through the same transaction.
   * With no `unit`: every unit that keeps versions (those without an earlier one stay).
   */
  rollback(
    unit?: string | readonly string[],
    steps?: number,
    options?: RollbackOptions,
  ): Promise<ReloadReport>;
  /** Pins in-flight work to a unit's live version (see `Handle.lease`). */
  lease<T = unknown>(unit: string): Lease<T>;
  /** Runs `fn` under a lease of `unit`, released when `fn` (or its promise) ends. */
  withLease<T, R>(unit: string, fn: (current: T, lease: Lease<T>) => R): R;
  /** Throws `HS_ERR_DRAINING` while draining: call it where new work enters. */
  admit(): void;
  /** Starts draining and waits for in-flight work (see `DrainResult`). */
  drain(options?: DrainOptions): Promise<DrainResult>;
  /** Stops draining. */
  undrain(reason?: string): void;
  /** What a UI shows (see `RuntimeStatus`). */
  status(): RuntimeStatus;
  /** Kept reports, oldest first. */
  history(): ReloadReport[];
  /** Adds an event listener; returns a function that removes it. */
  on<E extends RuntimeEventName>(event: E, listener: RuntimeListener<E>): () => void;
  /** Like `on`, for one event. */
  once<E extends RuntimeEventName>(event: E, listener: RuntimeListener<E>): () => void;
  /** Removes an event listener. */
  off<E extends RuntimeEventName>(event: E, listener: RuntimeListener<E>): void;
  /**
   * Runs queued transactions, then stops workers and closes every unit in reverse order of
   * registration. Later requests reject with `HS_ERR_RUNTIME_CLOSED`.
   */
  close(): Promise<CloseResult>;
}

class RuntimeImpl implements Runtime {
  readonly name: string;
  readonly log: Logger;
  readonly #units = new Map<string, Unit>();
  readonly #records = new Map<string, UnitRecord>();
  readonly #logs = new Map<string, Logger>();
  readonly #events;
  readonly #history;
  readonly #leases = createLeaseRegistry();
  readonly #drain;
  readonly #queue;
  readonly #pauseTimeout: number;
  #nextId = 1;
  #reloads = 0;
  #lastError: RuntimeErrorState | undefined;
  #closing: Promise<CloseResult> | undefined;
  #closed = false;

  constructor(options: RuntimeOptions) {
    this.name = options.name ?? 'hotswap';
    this.log = createLogger(options.logger, this.name);
    this.#events = createEventBus(this.name, this.log);
    logEvents(this.#events, this.log);
    this.#history = createHistory<ReloadReport>(options.history ?? 50);
    this.#pauseTimeout = options.pauseTimeout ?? 5_000;
    this.#drain = createDrain({
      settle: (signal) => this.#leases.settle(this.units(), signal),
      evict: () => this.#leases.evict(this.units()),
      events: this.#events,
      defaultTimeout: options.drainTimeout ?? 30_000,
      onTimeout: (timeout) => {
        this.#lastError = {
          source: 'drain',
          unit: timeout.unit,
          error: timeout.error,
          at: new Date().toISOString(),
        };
      },
    });
    this.#queue = createReloadQueue<ReloadReport>((merged) => this.#runReload(merged));
  }

  get draining(): boolean {
    return this.#drain.draining;
  }

  get reloading(): boolean {
    return this.#queue.busy;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  add<U extends Unit>(unit: U): U {
    this.#assertOpen();
    checkUnitShape(unit);
    if (this.#units.has(unit.name)) {
      throw new HotswapError(
        'HS_ERR_UNIT_DUPLICATE',
        `a unit named ${unit.name} is already registered`,
        {
          unit: unit.name,
        },
      );
    }
    // A cycle can only close when its last unit arrives: refuse that unit, keep the rest.
    orderUnits([...this.#units.values(), unit], { ignoreUnknown: true });
    const log = this.log.child({ unit: unit.name });
    // `runtime` lets units that act on the runtime (services: drain refusal, follow-up
    // reloads) find it without being handed it twice.
    const host: UnitHost & { readonly runtime: Runtime } = {
      log,
      notify: (notice) => this.#onNotice(unit, notice),
      runtime: this,
    };
    this.#units.set(unit.name, unit);
    this.#records.set(unit.name, {});
    this.#logs.set(unit.name, log);
    try {
      unit.attach?.(host);
      unit.handle?.attach(host);
    } catch (err) {
      this.#forget(unit);
      throw err;
    }
    this.#events.emit('unit-added', { unit: unit.name, kind: unit.kind });
    return unit;
  }

  async remove(name: string): Promise<void> {
    this.#assertOpen();
    const unit = this.get(name);
    this.#assertUnused(unit);
    await this.#queue.task(async () => {
      if (this.#units.get(name) !== unit) return;
      this.#assertUnused(unit);
      this.#forget(unit);
      this.#events.emit('unit-removed', { unit: unit.name, kind: unit.kind });
      await closeUnit(unit);
    });
  }

  has(name: string): boolean {
    return this.#units.has(name);
  }

  get(name: string): Unit {
    const unit = this.#units.get(name);
    if (unit === undefined) throw this.#unknown(name);
    return unit;
  }

  units(): Unit[] {
    return [...this.#units.values()];
  }

  register<T extends object, K extends string = never>(options: HotUnitOptions<T, K>): Handle<T> {
    return registerHotUnit(this, options);
  }

  service<T>(name: string, options: ServiceOptions<T>): ServiceHandle<T> {
    return registerService(this, name, options);
  }

  reload(options: ReloadOptions = {}): Promise<ReloadReport> {
    try {
      this.#assertOpen();
      const names = options.units === undefined ? undefined : [options.units].flat();
      for (const name of names ?? []) this.get(name);
      const request: ReloadRequest = {
        dependents: options.dependents ?? true,
        trigger: options.trigger ?? { kind: 'api' },
      };
      if (names !== undefined) request.units = names;
      if (options.changedFiles !== undefined) request.changedFiles = new Set(options.changedFiles);
      if (this.#queue.inside) {
        this.log.debug(
          { trigger: request.trigger },
          'reload requested from inside a reload: it runs as the follow-up (do not await it there)',
        );
      }
      return this.#queue.reload(request);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  rollback(
    unit?: string | readonly string[],
    steps = 1,
    options: RollbackOptions = {},
  ): Promise<ReloadReport> {
    try {
      this.#assertOpen();
      const names = unit === undefined ? undefined : [unit].flat();
      for (const name of names ?? []) this.get(name);
      if (!Number.isInteger(steps) || steps < 1) {
        throw new HotswapError(
          'HS_ERR_UNIT_ROLLBACK',
          `steps must be a positive integer, got ${steps}`,
        );
      }
      const trigger = options.trigger ?? { kind: 'rollback' };
      return this.#queue.task(() => this.#runRollback(names, steps, trigger));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  lease<T = unknown>(unit: string): Lease<T> {
    return this.#leases.lease<T>(this.get(unit));
  }

  withLease<T, R>(unit: string, fn: (current: T, lease: Lease<T>) => R): R {
    return runLeased(this.lease<T>(unit), fn);
  }

  admit(): void {
    this.#drain.admit();
  }

  drain(options?: DrainOptions): Promise<DrainResult> {
    return this.#drain.drain(options);
  }

  undrain(reason?: string): void {
    this.#drain.undrain(reason);
  }

  status(): RuntimeStatus {
    const units = this.units().map((unit) =>
      unitStatusEntry(unit, this.#records.get(unit.name) ?? {}, this.#leases.count(unit)),
    );
    const byUnit: Record<string, number> = {};
    let total = 0;
    for (const entry of units) {
      if (entry.leases > 0) byUnit[entry.name] = entry.leases;
      total += entry.leases;
    }
    const status: RuntimeStatus = {
      name: this.name,
      state: this.#closed
        ? 'closed'
        : this.#closing
          ? 'closing'
          : this.#queue.busy
            ? 'reloading'
            : 'idle',
      draining: this.#drain.draining,
      queued: this.#queue.pending,
      reloads: this.#reloads,
      units,
      workers: units.filter((u) => u.kind === 'worker').map(workerStatusEntry),
      leases: { total, byUnit },
    };
    const last = this.#history.last();
    if (last) {
      status.lastReport = {
        id: last.id,
        kind: last.kind,
        ok: last.ok,
        committed: last.committed,
        summary: last.summary,
        startedAt: last.startedAt,
      };
    }
    if (this.#lastError) status.lastError = this.#lastError;
    return status;
  }

  history(): ReloadReport[] {
    return this.#history.list();
  }

  on<E extends RuntimeEventName>(event: E, listener: RuntimeListener<E>): () => void {
    return this.#events.on(event, listener);
  }

  once<E extends RuntimeEventName>(event: E, listener: RuntimeListener<E>): () => void {
    return this.#events.once(event, listener);
  }

  off<E extends RuntimeEventName>(event: E, listener: RuntimeListener<E>): void {
    this.#events.off(event, listener);
  }

  close(): Promise<CloseResult> {
    this.#closing ??= this.#queue.task(async () => {
      this.#drain.cancel();
      const errors: SerializedError[] = [];
      for (const unit of this.units().reverse()) {
        try {
          await closeUnit(unit);
        } catch (err) {
          errors.push(serializeError(err));
          this.log.error({ err, unit: unit.name }, `closing ${unit.name} failed`);
        }
        this.#forget(unit);
      }
      this.#closed = true;
      this.#events.clear();
      return { errors };
    });
    return this.#closing;
  }

  async #runReload(merged: MergedRequest): Promise<ReloadReport> {
    const registered = this.units();
    let plan: PlanItem[] = [];
    let failure: unknown;
    try {
      const ordered = orderUnits(registered);
      const selected = new Set<string>();
      if (merged.all) for (const unit of registered) selected.add(unit.name);
      else {
        // A unit removed while the request waited is simply no longer there.
        for (const name of merged.units.keys()) if (this.#units.has(name)) selected.add(name);
        const withDependents = [...merged.units].filter(([, d]) => d).map(([name]) => name);
        for (const name of dependentsOf(registered, withDependents)) selected.add(name);
      }
      plan = ordered
        .filter((u) => selected.has(u.name))
        .map((unit) => ({ unit, action: 'prepare' }));
    } catch (err) {
      failure = err;
    }
    return this.#transact({
      kind: 'reload',
      triggers: merged.triggers,
      requested: merged.all ? 'all' : [...merged.units.keys()],
      plan,
      changedFiles: merged.changedFiles ?? new Set(),
      failure,
    });
  }

  async #runRollback(
    names: string[] | undefined,
    steps: number,
    trigger: Trigger,
  ): Promise<ReloadReport> {
    const registered = this.units();
    const plan: PlanItem[] = [];
    let failure: unknown;
    try {
      const ordered = orderUnits(registered);
      const targets = new Set(
        names?.filter((n) => this.#units.has(n)) ??
          registered.filter((u) => typeof u.prepareRollback === 'function').map((u) => u.name),
      );
      const dependents = new Set(dependentsOf(registered, targets));
      for (const unit of ordered) {
        if (targets.has(unit.name)) {
          plan.push({ unit, action: 'rollback', steps, optional: names === undefined });
        } else if (dependents.has(unit.name)) plan.push({ unit, action: 'prepare' });
      }
    } catch (err) {
      failure = err;
    }
    return this.#transact({
      kind: 'rollback',
      triggers: [trigger],
      requested: names ?? 'all',
      plan,
      changedFiles: new Set(),
      failure,
    });
  }

  async #transact(input: {
    kind: 'reload' | 'rollback';
    triggers: Trigger[];
    requested: string[] | 'all';
    plan: PlanItem[];
    changedFiles: ReadonlySet<string>;
    failure: unknown;
  }): Promise<ReloadReport> {
    const id = this.#nextId++;
    this.#reloads++;
    const report = await runTransaction({
      id,
      kind: input.kind,
      trigger: input.triggers[0] ?? { kind: 'api' },
      coalesced: input.triggers.slice(1),
      requested: input.requested,
      plan: input.plan,
      pausable: this.units().filter((u) => typeof u.pause === 'function'),
      changedFiles: input.changedFiles,
      pauseTimeout: this.#pauseTimeout,
      log: this.log,
      logOf: (unit) => this.#logs.get(unit.name) ?? this.log,
      events: this.#events,
      failure: input.failure,
    });
    this.#record(report);
    return report;
  }

  #record(report: ReloadReport): void {
    this.#history.push(report);
    for (const unit of report.units) {
      const record = this.#records.get(unit.name);
      if (record === undefined) continue;
      record.lastOutcome = unit.outcome;
      record.lastReloadId = report.id;
      if (unit.error) record.lastError = unit.error;
      else if (report.ok) record.lastError = undefined;
    }
    if (report.ok) this.#lastError = undefined;
    else {
      const failed = report.units.find((u) => u.error);
      const error = failed?.error ?? report.error ?? firstPartError(report);
      if (error) {
        this.#lastError = {
          source: 'reload',
          reloadId: report.id,
          error,
          at: new Date().toISOString(),
          ...(failed ? { unit: failed.name } : {}),
        };
      }
    }
    try {
      logReport(this.log, report);
    } catch {
      // A broken log destination must not turn a finished reload into a rejection.
    }
  }

  #onNotice(unit: Unit, notice: UnitNotice): void {
    try {
      const record = this.#records.get(unit.name);
      switch (notice.type) {
        case 'worker-died': {
          const error = serializeError(notice.error);
          if (record) record.lastError = error;
          this.#lastError = {
            source: 'worker',
            unit: unit.name,
            error,
            at: new Date().toISOString(),
          };
          const payload: RuntimeEvents['worker-died'] = {
            unit: unit.name,
            error,
            restarts: notice.restarts,
            restart: notice.restart,
          };
          if (notice.delay !== undefined) payload.delay = notice.delay;
          this.#events.emit('worker-died', payload);
          return;
        }
        case 'worker-restarted':
          this.#events.emit('worker-restarted', { unit: unit.name, restarts: notice.restarts });
          return;
        case 'version-disposed': {
          const errors = notice.errors.map((e) => serializeError(e));
          const first = errors[0];
          if (first) {
            this.#lastError = {
              source: 'dispose',
              unit: unit.name,
              error: first,
              at: new Date().toISOString(),
            };
          }
          this.#events.emit('version-disposed', {
            unit: unit.name,
            generation: notice.generation,
            forced: notice.forced,
            errors,
          });
          return;
        }
        default: {
          const unhandled: never = notice;
          this.log.warn({ notice: unhandled, unit: unit.name }, 'unknown unit notice');
        }
      }
    } catch (err) {
      this.log.error({ err, unit: unit.name }, 'handling a unit notice failed');
    }
  }

  #forget(unit: Unit): void {
    if (this.#units.get(unit.name) === unit) this.#units.delete(unit.name);
    this.#records.delete(unit.name);
    this.#logs.delete(unit.name);
    this.#leases.forget(unit);
  }

  #assertOpen(): void {
    if (this.#closing) {
      throw new HotswapError('HS_ERR_RUNTIME_CLOSED', `runtime ${this.name} is closed`);
    }
  }

  #assertUnused(unit: Unit): void {
    const users = this.units().filter((u) => u.dependsOn.includes(unit.name));
    if (users.length > 0) {
      throw new HotswapError(
        'HS_ERR_UNIT_IN_USE',
        `${unit.name} cannot be removed: ${users.map((u) => u.name).join(', ')} depend${users.length === 1 ? 's' : ''} on it`,
        { unit: unit.name, hint: 'remove the dependent units first' },
      );
    }
  }

  #unknown(name: string): HotswapError {
    const near = nearestNames(name, this.#units.keys());
    return new HotswapError('HS_ERR_UNIT_UNKNOWN', `no unit named ${name} is registered`, {
      unit: name,
      ...(near.length > 0 ? { hint: `did you mean ${near.join(', ')}?` } : {}),
    });
  }
}

async function closeUnit(unit: Unit): Promise<void> {
  if (typeof unit.close === 'function') await unit.close();
  else await unit.handle?.close();
}

function firstPartError(report: ReloadReport): SerializedError | undefined {
  for (const unit of report.units) {
    const part = unit.parts?.find((p) => p.outcome === 'failed');
    if (part) return part.error ?? { name: 'Error', message: `${unit.name}/${part.name} failed` };
  }
  return undefined;
}

function checkUnitShape(unit: Unit): void {
  const problems: string[] = [];
  if (typeof unit?.name !== 'string' || unit.name === '') problems.push('a name');
  if (!Array.isArray(unit?.dependsOn)) problems.push('dependsOn (an array)');
  if (typeof unit?.prepare !== 'function') problems.push('prepare()');
  if (typeof unit?.status !== 'function') problems.push('status()');
  if (problems.length > 0) {
    throw new TypeError(`a unit needs ${problems.join(', ')}: see defineUnit() and the Unit type`);
  }
}

/**
 * Creates a runtime.
 * @example
 * import { createRuntime, createWorker } from 'hotswap';
 *
 * const runtime = createRuntime({ name: 'bot' });
 * const greeter = runtime.register({
 *   name: 'greeter',
 *   versionSource: () => ({ greet: (who: string) => `hello ${who}` }),
 * });
 * await runtime.reload();                 // greeter: added
 * greeter.current.greet('ada');
 * runtime.on('reload-end', ({ report }) => console.log(report.summary));
 */
export function createRuntime(options: RuntimeOptions = {}): Runtime {
  return new RuntimeImpl(options);
}
