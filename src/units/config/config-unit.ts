/**
 * The config unit: a layered, validated, snapshotted configuration that reloads live, either on
 * its own (`reload()`, `rollback()`, `setOverride()`) or inside a runtime transaction (it is a
 * {@link Unit} of kind `config`). Both paths run the same code: `reload()` is exactly
 * prepare + commit + finalize.
 *
 * Transaction rules, as the unit contract asks:
 * - prepare builds the next version off to the side (`pipeline.ts`); a failure changes nothing
 *   and adds no snapshot;
 * - commit swaps the live version and records the snapshot, atomically (synchronous);
 * - rollback puts back the version, snapshots and pending restart keys saved at prepare;
 * - finalize notifies subscribers. Listeners fire there, not at commit, because a later unit
 *   of the same reload may still fail and roll this commit back: a listener (a service that
 *   rebuilds itself) must never act on a change that is then undone.
 *
 * One change at a time: prepare takes the config's lock and the change holds it until
 * finalize, rollback or discard, so a standalone reload waits for a runtime's transaction.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { relative } from 'node:path';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { type Logger, pino } from 'pino';
import { HotswapError, type SerializedError, serializeError } from '../../errors.js';
import type { PrepareContext, UnitHost, UnitOutcome, UnitStatus } from '../unit.js';
import { Mutex } from './_mutex.js';
import { type ConfigChangeView, viewChange } from './diff.js';
import { compileKeyPattern, getPath, parseKeyPath } from './key-path.js';
import { resolveLayers } from './layers.js';
import {
  normaliseOverrideKey,
  type OverrideSet,
  overrideRecord,
  overrideSet,
} from './overrides.js';
import {
  type PipelineSetup,
  type Plan,
  planVersion,
  readBase,
  throwIfAborted,
  type Version,
} from './pipeline.js';
import { schemaInfo } from './schema-info.js';
import { createSecretPolicy, redactText, type SecretPolicy } from './secrets.js';
import { type SnapshotEntry, SnapshotHistory } from './snapshots.js';
import { type ConfigListener, Subscriptions } from './subscriptions.js';
import type {
  Config,
  ConfigOptions,
  ConfigPreparedChange,
  ConfigReloadOptions,
  ConfigReport,
  ConfigValue,
  DeepReadonly,
  KeyPath,
  KeyPathValue,
  SnapshotInfo,
  StagedConfig,
} from './types.js';

/**
 * The staged change each config shows `get()` in this async context (see `preview`). Keyed by
 * the change itself, not only the config: work started inside a preview (a service's socket
 * callbacks) keeps this context for good, and must never read a later reload's staged values.
 */
const previewing = new AsyncLocalStorage<ReadonlyMap<object, object | undefined>>();

type Request = { kind: 'reload'; overrides?: OverrideSet } | { kind: 'rollback'; steps: number };

/**
 * Creates a config. Nothing is read until `load()` (or a runtime's first prepare).
 *
 * Layers, later wins: each base file in order; then each `<name>.<env>.<ext>` (when `env` names
 * an environment); then each `<name>.local.<ext>`; then environment variables with `envPrefix`
 * (`APP_LLM__MODEL` → `llm.model`); then overrides. Objects merge deeply, arrays replace.
 *
 * Throws a `TypeError` at once for malformed options (unknown file format, bad key pattern).
 * @example
 * import { z } from 'zod';
 * const config = createConfig({
 *   files: ['config.yaml'],
 *   envPrefix: 'APP_',
 *   schema: z.object({ llm: z.object({ model: z.string(), temperature: z.number() }) }),
 *   restartRequired: ['irc.host'],
 *   secrets: ['llm.apiKey'],
 * });
 * await config.load();
 * config.current.llm.model; // typed, frozen
 * config.on('llm.*', ({ changes }) => rebuildClient(changes));
 */
export function createConfig<S extends StandardSchemaV1 | undefined = undefined>(
  options: ConfigOptions<S>,
): Config<ConfigValue<S>> {
  return new ConfigUnit<ConfigValue<S>>(options);
}

class ConfigUnit<T> implements Config<T> {
  readonly kind = 'config' as const;
  readonly name: string;
  readonly dependsOn: readonly string[];
  readonly envName: string | undefined;
  readonly #setup: PipelineSetup;
  readonly #policy: SecretPolicy;
  readonly #history: SnapshotHistory<Version>;
  readonly #subs = new Subscriptions<DeepReadonly<T>>();
  readonly #mutex = new Mutex();
  #log: Logger;
  readonly #ownLog: boolean;
  readonly #initialOverrides: OverrideSet;
  #notifyTail: Promise<void> = Promise.resolve();
  // Set while this config's listeners run: a reload of this config started from one of them
  // must not wait for the notification queue it is itself part of (it would wait for itself).
  readonly #inListener = new AsyncLocalStorage<true>();
  /** The change prepared in a runtime reload, until it commits or is dropped (see `staged`). */
  #staged: { reloadId: number; version: Version; view: StagedConfig } | undefined;
  #live: Version | undefined;
  #pendingRestart: ConfigChangeView[] = [];
  #lastOutcome: UnitOutcome | undefined;
  #lastError: SerializedError | undefined;
  #reloadIds = 0;

  constructor(options: ConfigOptions<StandardSchemaV1 | undefined>) {
    this.name = options.name ?? 'config';
    this.dependsOn = options.dependsOn ?? [];
    const cwd = options.cwd ?? process.cwd();
    const env = options.env === undefined ? process.env.NODE_ENV : options.env || undefined;
    this.envName = env === '' ? undefined : env;
    const info = schemaInfo(options.schema);
    this.#policy = createSecretPolicy({
      paths: [...(options.secrets ?? []), ...info.secretPaths],
      pattern: options.secretPattern,
    });
    const envVars = options.envVars;
    this.#setup = {
      unit: this.name,
      layers: resolveLayers(options.files, { cwd, env: this.envName, layered: options.layered }),
      envPrefix: options.envPrefix,
      envVars: () => envVars ?? process.env,
      schema: options.schema,
      schemaKeys: info.keys,
      policy: this.#policy,
      restart: (options.restartRequired ?? []).map(compileKeyPattern),
      display: (file) => relative(cwd, file) || file,
    };
    this.#history = new SnapshotHistory(options.snapshots ?? 10);
    try {
      this.#initialOverrides = overrideSet(options.overrides);
    } catch (err) {
      throw new TypeError((err as Error).message);
    }
    this.#ownLog = options.log !== undefined;
    this.#log = (options.log ?? pino({ level: 'silent' })).child({ unit: this.name });
  }

  get generation(): number {
    return this.#live?.generation ?? 0;
  }

  get loaded(): boolean {
    return this.#live !== undefined;
  }

  get current(): DeepReadonly<T> {
    return this.#need().value as DeepReadonly<T>;
  }

  staged(reloadId: number): StagedConfig | undefined {
    const staged = this.#staged;
    return staged?.reloadId === reloadId ? staged.view : undefined;
  }

  preview<R>(fn: () => R): R {
    const viewing = new Map(previewing.getStore());
    viewing.set(this, this.#staged);
    return previewing.run(viewing, fn);
  }

  get overrides(): Readonly<Record<string, unknown>> {
    return Object.freeze(overrideRecord(this.#live?.overrides ?? this.#initialOverrides));
  }

  get<P extends KeyPath<T>>(path: P): DeepReadonly<KeyPathValue<T, P>> {
    return getPath(this.#need().value, parseKeyPath(path)) as DeepReadonly<KeyPathValue<T, P>>;
  }

  redacted(): unknown {
    return this.#policy.redact(this.#need().value);
  }

  on(pattern: string, listener: ConfigListener<DeepReadonly<T>>): () => void {
    return this.#subs.on(pattern, listener);
  }

  attach(host: UnitHost): void {
    // Inside a runtime, standalone reloads log where the runtime's own do (unless told otherwise).
    if (!this.#ownLog) this.#log = host.log;
  }

  watchPaths(): readonly string[] {
    return this.#setup.layers.map((l) => l.path);
  }

  // ── standalone API: each is prepare + commit + finalize ─────────────────────────────────

  load(options: Omit<ConfigReloadOptions, 'validateOnly'> = {}): Promise<ConfigReport> {
    return this.reload({ trigger: { kind: 'startup' }, ...options });
  }

  async reload(options: ConfigReloadOptions = {}): Promise<ConfigReport> {
    return this.#run({ kind: 'reload' }, options);
  }

  async rollback(
    steps = 1,
    options: Omit<ConfigReloadOptions, 'validateOnly'> = {},
  ): Promise<ConfigReport> {
    return this.#run({ kind: 'rollback', steps }, { trigger: { kind: 'rollback' }, ...options });
  }

  async setOverride(
    key: string,
    value: unknown,
    options: Omit<ConfigReloadOptions, 'validateOnly'> = {},
  ): Promise<ConfigReport> {
    const normal = normaliseOverrideKey(key);
    const live = this.#need();
    const next = new Map(live.overrides);
    next.delete(normal); // re-set keys move last: later overrides win over earlier ones
    next.set(normal, value);
    return this.#run(
      { kind: 'reload', overrides: next },
      { trigger: { kind: 'api', detail: `override ${normal}` }, ...options },
    );
  }

  async clearOverride(
    key: string,
    options: Omit<ConfigReloadOptions, 'validateOnly'> = {},
  ): Promise<ConfigReport> {
    const normal = normaliseOverrideKey(key);
    const next = new Map(this.#need().overrides);
    next.delete(normal);
    return this.#run(
      { kind: 'reload', overrides: next },
      { trigger: { kind: 'api', detail: `clear override ${normal}` }, ...options },
    );
  }

  snapshots(): SnapshotInfo[] {
    const { entries, cursor } = this.#history.list();
    return entries.map((e, i) => this.#snapshotInfo(e, cursor - i)).reverse();
  }

  async clearSnapshots(): Promise<number> {
    const release = await this.#mutex.acquire();
    try {
      return this.#history.clear();
    } finally {
      release();
    }
  }

  async #run(request: Request, options: ConfigReloadOptions): Promise<ConfigReport> {
    const ctx: PrepareContext = {
      reloadId: ++this.#reloadIds,
      trigger: options.trigger ?? { kind: 'api' },
      changedFiles: new Set(),
      signal: options.signal ?? new AbortController().signal,
      log: this.#log,
    };
    const { change, report } = await this.#prepare(ctx, request, options.validateOnly === true);
    if (!change) return report;
    if (options.validateOnly) {
      await change.discard();
      return report;
    }
    try {
      await change.commit();
    } catch (err) {
      await change.discard();
      throw err;
    }
    await change.finalize?.();
    return change.report;
  }

  // ── unit contract ───────────────────────────────────────────────────────────────────────

  async prepare(ctx: PrepareContext): Promise<ConfigPreparedChange | undefined> {
    return (await this.#prepare(ctx, { kind: 'reload' }, false)).change;
  }

  async prepareRollback(steps: number, ctx: PrepareContext): Promise<ConfigPreparedChange> {
    const { change } = await this.#prepare(ctx, { kind: 'rollback', steps }, false);
    // A rollback always moves the snapshot cursor, so it always prepares a change.
    return change!;
  }

  status(): UnitStatus {
    const live = this.#live;
    const { entries, cursor } = this.#history.list();
    return {
      name: this.name,
      kind: this.kind,
      generation: this.generation,
      state: live ? 'active' : 'unloaded',
      lastOutcome: this.#lastOutcome,
      lastError: this.#lastError,
      details: {
        env: this.envName,
        files: live?.files ?? [],
        hash: live?.hash,
        snapshots: entries.length,
        snapshot: entries[cursor]?.id,
        overrides: this.#redactOverrides(this.#live?.overrides ?? this.#initialOverrides),
        restartRequired: this.#pendingRestart.map((c) => c.path),
      },
    };
  }

  async close(): Promise<void> {
    this.#subs.clear();
  }

  // ── the one code path ───────────────────────────────────────────────────────────────────

  async #prepare(
    ctx: PrepareContext,
    request: Request,
    validateOnly: boolean,
  ): Promise<{ change?: ConfigPreparedChange; report: ConfigReport }> {
    const release = await this.#mutex.acquire();
    const live = this.#live;
    try {
      throwIfAborted(ctx.signal, this.name);
      let target: SnapshotEntry<Version> | undefined;
      let from: Parameters<typeof planVersion>[1];
      if (request.kind === 'rollback') {
        target = this.#history.target(request.steps, this.name);
        // The snapshot's own files, environment and overrides, through the same pipeline.
        from = target.version;
      } else {
        const known = live ? this.#policy.valuesIn(live.input) : [];
        const { base, files } = await readBase(this.#setup, { signal: ctx.signal, known });
        from = {
          base,
          files,
          overrides: request.overrides ?? live?.overrides ?? this.#initialOverrides,
        };
      }
      throwIfAborted(ctx.signal, this.name);
      const plan = await planVersion(this.#setup, from, live);
      throwIfAborted(ctx.signal, this.name);
      const commits =
        !live || target !== undefined || plan.changes.length > 0 || plan.overridesChanged;
      const outcome: ConfigReport['outcome'] = !live
        ? 'added'
        : plan.changes.length > 0 || (commits && plan.restart.length === 0)
          ? 'refreshed'
          : plan.restart.length > 0
            ? 'restart-required'
            : 'unchanged';
      const report: ConfigReport = {
        unit: this.name,
        outcome,
        validateOnly,
        generation: this.generation,
        trigger: ctx.trigger,
        changes: plan.changes.map((c) => viewChange(c, this.#policy)),
        restartRequired: plan.restart.map((c) => viewChange(c, this.#policy)),
        files: [...plan.next.files],
        listenerErrors: [],
      };
      if (outcome === 'unchanged') {
        release();
        if (!validateOnly) this.#lastOutcome = 'unchanged';
        return { report };
      }
      return { change: this.#change(ctx, plan, report, { commits, target, release }), report };
    } catch (err) {
      release();
      if (!validateOnly) {
        this.#lastOutcome = 'failed';
        this.#lastError = serializeError(err);
        ctx.log.warn({ err: this.#lastError, trigger: ctx.trigger }, 'configuration not reloaded');
      }
      throw err;
    }
  }

  #change(
    ctx: PrepareContext,
    plan: Plan,
    report: ConfigReport,
    how: { commits: boolean; target: SnapshotEntry<Version> | undefined; release: () => void },
  ): ConfigPreparedChange {
    const before = {
      live: this.#live,
      history: this.#history.save(),
      pending: this.#pendingRestart,
    };
    let committed: Version | undefined;
    const staged =
      how.commits && plan.changes.length > 0
        ? {
            reloadId: ctx.reloadId,
            version: { ...plan.next, generation: (before.live?.generation ?? 0) + 1 },
            view: {
              generation: (before.live?.generation ?? 0) + 1,
              changes: plan.changes.map((c) => ({ path: c.path, keys: [...c.keys] })),
            },
          }
        : undefined;
    this.#staged = staged;
    const unstage = (): void => {
      if (this.#staged === staged) this.#staged = undefined;
    };
    const prepared: ConfigPreparedChange = {
      outcome:
        report.outcome === 'added'
          ? 'added'
          : report.outcome === 'restart-required'
            ? 'restart-required'
            : 'refreshed',
      summary: summarise(report),
      restartRequired: report.restartRequired.map((c) => c.path),
      report,
      commit: () => {
        // Synchronous and total: nothing here can fail halfway.
        unstage();
        if (how.commits) {
          const version: Version = { ...plan.next, generation: (before.live?.generation ?? 0) + 1 };
          let entry: SnapshotEntry<Version>;
          if (how.target) {
            this.#history.moveTo(how.target);
            entry = how.target;
          } else {
            entry = this.#history.record(
              version,
              ctx.trigger,
              plan.changes.map((c) => c.path),
            );
          }
          this.#live = version;
          committed = version;
          report.generation = version.generation;
          report.snapshot = this.#snapshotInfo(entry, 0);
        }
        this.#pendingRestart = report.restartRequired;
        this.#lastOutcome = report.outcome === 'added' ? 'added' : prepared.outcome;
        this.#lastError = undefined;
      },
      rollback: () => {
        unstage();
        this.#live = before.live;
        this.#history.restore(before.history);
        this.#pendingRestart = before.pending;
        report.generation = before.live?.generation ?? 0;
        delete report.snapshot;
        committed = undefined;
        how.release();
      },
      discard: () => {
        unstage();
        how.release();
      },
      finalize: async () => {
        how.release();
        ctx.log.info(
          {
            generation: report.generation,
            changed: report.changes.map((c) => c.path),
            restartRequired: report.restartRequired.map((c) => c.path),
            snapshot: report.snapshot?.id,
            trigger: ctx.trigger,
          },
          'configuration reloaded',
        );
        ctx.log.debug(
          { changes: report.changes, restartRequired: report.restartRequired },
          'configuration diff',
        );
        if (committed && plan.changes.length > 0)
          await this.#notify(ctx, plan, report, before.live, committed);
      },
    };
    return prepared;
  }

  async #notify(
    ctx: PrepareContext,
    plan: Plan,
    report: ConfigReport,
    previous: Version | undefined,
    current: Version,
  ): Promise<void> {
    if (this.#subs.size === 0) return;
    const run = async (): Promise<void> => {
      const failures = await this.#inListener.run(true, () =>
        this.#subs.notify(
          {
            previous: previous?.value as DeepReadonly<T> | undefined,
            current: current.value as DeepReadonly<T>,
            generation: current.generation,
          },
          plan.changes,
        ),
      );
      const known = this.#policy.valuesIn(current.input);
      for (const f of failures) {
        const err = serializeError(f.error);
        const safe = {
          ...err,
          message: redactText(err.message, known),
          stack: err.stack && redactText(err.stack, known),
        };
        report.listenerErrors.push(safe);
        ctx.log.error({ err: safe, pattern: f.pattern }, 'configuration listener failed');
      }
    };
    // Notifications run in commit order, one reload after another.
    const link = this.#notifyTail.then(run);
    this.#notifyTail = link.catch(() => {});
    // A reload started by a listener is notified after the current notification ends.
    if (!this.#inListener.getStore()) await link;
  }

  #snapshotInfo(entry: SnapshotEntry<Version>, steps: number): SnapshotInfo {
    return {
      id: entry.id,
      generation: entry.version.generation,
      createdAt: entry.createdAt.toISOString(),
      hash: entry.version.hash,
      trigger: entry.trigger,
      current: steps === 0,
      steps,
      changed: entry.changed,
      overrides: this.#redactOverrides(entry.version.overrides),
    };
  }

  #redactOverrides(overrides: OverrideSet): Record<string, unknown> {
    return Object.fromEntries(
      [...overrides].map(([k, v]) => [k, this.#policy.redact(v, parseKeyPath(k))]),
    );
  }

  #need(): Version {
    if (this.#staged && previewing.getStore()?.get(this) === this.#staged) {
      return this.#staged.version;
    }
    if (!this.#live) {
      throw new HotswapError(
        'HS_ERR_CONFIG_NOT_LOADED',
        `configuration "${this.name}" is not loaded yet`,
        {
          unit: this.name,
          hint: 'await config.load() first',
        },
      );
    }
    return this.#live;
  }
}

function summarise(report: ConfigReport): string {
  const paths = report.changes.map((c) => c.path);
  const shown = paths.slice(0, 5).join(', ') + (paths.length > 5 ? ` +${paths.length - 5}` : '');
  const restart = report.restartRequired.length
    ? ` (restart required: ${report.restartRequired.map((c) => c.path).join(', ')})`
    : '';
  return (shown || 'no key changed') + restart;
}
