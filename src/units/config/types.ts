/**
 * Public types of the config unit: options, reports, snapshot listings, and the typed key
 * paths `config.get('llm.model')` accepts.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Logger } from 'pino';
import type { SerializedError } from '../../errors.js';
import type { PreparedChange, Trigger, Unit, UnitHost, UnitStatus } from '../unit.js';
import type { ConfigChangeView } from './diff.js';
import type { ConfigFileSpec } from './layers.js';
import type { ConfigListener } from './subscriptions.js';

/** A value that cannot be changed at any depth: what `config.current` is. */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends Date
    ? T
    : T extends readonly (infer E)[]
      ? readonly DeepReadonly<E>[]
      : T extends object
        ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
        : T;

type Depth = [never, 0, 1, 2, 3, 4, 5, 6, 7];

/**
 * Every key path of `T` in dot notation (`'llm' | 'llm.model' | ...`), 8 levels deep; `string`
 * for an untyped config.
 */
export type KeyPath<T, D extends number = 8> = [D] extends [never]
  ? never
  : string extends keyof NonNullable<T>
    ? string
    : NonNullable<T> extends readonly unknown[]
      ? never
      : NonNullable<T> extends object
        ? {
            [K in keyof NonNullable<T> & string]:
              | K
              | (NonNullable<NonNullable<T>[K]> extends readonly unknown[] | Date
                  ? never
                  : NonNullable<NonNullable<T>[K]> extends object
                    ? `${K}.${KeyPath<NonNullable<T>[K], Depth[D]>}`
                    : never);
          }[keyof NonNullable<T> & string]
        : never;

/** The type of the value at key path `P` of `T` (undefined included when a key on the way is optional). */
export type KeyPathValue<T, P extends string> = string extends keyof NonNullable<T>
  ? unknown
  : P extends `${infer H}.${infer R}`
    ? H extends keyof NonNullable<T>
      ? KeyPathValue<NonNullable<T>[H], R> | (undefined extends T ? undefined : never)
      : unknown
    : P extends keyof NonNullable<T>
      ? NonNullable<T>[P] | (undefined extends T ? undefined : never)
      : unknown;

/** The output type of a schema, or a plain record without one. */
export type ConfigValue<S> = S extends StandardSchemaV1
  ? StandardSchemaV1.InferOutput<S>
  : Record<string, unknown>;

/** Options of `createConfig`. */
export interface ConfigOptions<S extends StandardSchemaV1 | undefined = undefined> {
  /** Unit name, unique within a runtime. @default 'config' */
  name?: string;
  /**
   * Base files, merged in order. Each also gets an optional `<name>.<env>.<ext>` and
   * `<name>.local.<ext>` layer (see `layered`). Formats by extension: YAML, JSON/JSONC/JSON5,
   * TOML, .env.
   */
  files: readonly (string | ConfigFileSpec)[];
  /** Directory that relative file paths are resolved against. @default process.cwd() */
  cwd?: string;
  /**
   * Environment name for the `<name>.<env>.<ext>` layer, fixed when the config is created;
   * `false` for none.
   * @default process.env.NODE_ENV
   */
  env?: string | false;
  /** Add the `<env>` and `local` layers of each base file. @default true */
  layered?: boolean;
  /** Prefix of the environment variables read as a layer after the files (`APP_`). @default none */
  envPrefix?: string;
  /** Where environment variables are read from, at each reload. @default process.env */
  envVars?: Readonly<Record<string, string | undefined>>;
  /** Any Standard Schema (zod, valibot, arktype ...): its output type is `config.current`. */
  schema?: S;
  /**
   * Key paths (globs allowed: `irc.*`) whose change needs a process restart. A reload reports
   * them as restart-required and keeps their live values; the rest of the change applies.
   */
  restartRequired?: readonly string[];
  /** Key paths (globs allowed) whose values are secret, besides those the schema and key names mark. */
  secrets?: readonly string[];
  /**
   * Key-name pattern for secrets, tested on each key in snake case; `false` turns it off.
   * @default defaultSecretPattern
   */
  secretPattern?: RegExp | false;
  /** Overrides of the first load, in dot notation: `{ 'llm.temperature': '0.9' }`. */
  overrides?: Readonly<Record<string, unknown>>;
  /** How many committed versions are kept for rollback. @default 10 */
  snapshots?: number;
  /** Units this config depends on (rarely any). @default [] */
  dependsOn?: readonly string[];
  /** Where the config logs (pino). Secrets are never logged. @default a silent logger */
  log?: Logger;
}

/** Options of `config.reload()`. */
export interface ConfigReloadOptions {
  /** Run every step but the commit, and report what would change. @default false */
  validateOnly?: boolean;
  /** Who asked, for the report and the logs. @default { kind: 'api' } */
  trigger?: Trigger;
  /** Abandons the reload (before commit) when aborted. */
  signal?: AbortSignal;
}

/** What a reload, rollback or override change did, as shown to a person (secrets redacted). */
export interface ConfigReport {
  /** Unit name. */
  unit: string;
  /** `added` for the first load, `unchanged` when nothing differs, `restart-required` when only such keys changed. */
  outcome: 'added' | 'refreshed' | 'unchanged' | 'restart-required';
  /** True when nothing was committed on purpose. */
  validateOnly: boolean;
  /** Generation of the live version after the reload. */
  generation: number;
  /** Who asked. */
  trigger: Trigger;
  /** Keys that changed live (or would, with `validateOnly`), sorted by path. */
  changes: ConfigChangeView[];
  /** Keys that changed on disk but keep their live value until a restart. */
  restartRequired: ConfigChangeView[];
  /** The snapshot this commit added or returned to; absent when nothing was committed. */
  snapshot?: SnapshotInfo;
  /** Files read, in merge order (missing optional layers left out). */
  files: string[];
  /** Listeners that threw after the commit (the change stays applied). */
  listenerErrors: SerializedError[];
}

/** One snapshot in a listing (secrets redacted). */
export interface SnapshotInfo {
  /** Stable id. */
  id: number;
  /** Generation it was committed as. */
  generation: number;
  /** Commit time, ISO 8601. */
  createdAt: string;
  /** Content hash (16 hex digits) of the committed config; equal configs hash equally in one process. */
  hash: string;
  /** Who asked for the reload that committed it. */
  trigger: Trigger;
  /** True for the live version. */
  current: boolean;
  /** `rollback(steps)` reaches it with this many steps; 0 for the live one, negative after it. */
  steps: number;
  /** Key paths that changed from the version before it. */
  changed: readonly string[];
  /** Its overrides, redacted. */
  overrides: Record<string, unknown>;
}

/** A prepared config change: the unit contract's change plus the report it will give. */
export interface ConfigPreparedChange extends PreparedChange {
  /** The report of this change; its `snapshot` is set by commit. */
  readonly report: ConfigReport;
}

/** A live, layered, validated configuration. It is also a {@link Unit} of kind `config`. */
/** What a config prepared in the reload in progress (see {@link Config.staged}). */
export interface StagedConfig {
  /** The generation the config will have once the reload commits. */
  readonly generation: number;
  /** The keys that change, as paths and split into keys. */
  readonly changes: readonly { readonly path: string; readonly keys: readonly string[] }[];
}

export interface Config<T = Record<string, unknown>> extends Unit {
  /** Always `config`. */
  readonly kind: 'config';
  /** Environment name of the `<env>` layer, if any. */
  readonly envName: string | undefined;
  /** True once a first version is live. */
  readonly loaded: boolean;
  /** The live config, deeply frozen. Throws `HS_ERR_CONFIG_NOT_LOADED` before `load()`. */
  readonly current: DeepReadonly<T>;
  /** The live overrides (real values: redact before showing them). */
  readonly overrides: Readonly<Record<string, unknown>>;
  /** The live value at a key path. */
  get<P extends KeyPath<T>>(path: P): DeepReadonly<KeyPathValue<T, P>>;
  /** First load; throws a typed error (nothing is live then). */
  load(options?: Omit<ConfigReloadOptions, 'validateOnly'>): Promise<ConfigReport>;
  /** Re-reads every layer; prepare + commit + finalize, serialised with every other reload. */
  reload(options?: ConfigReloadOptions): Promise<ConfigReport>;
  /** Re-applies the snapshot `steps` commits back through the same pipeline. @default 1 */
  rollback(
    steps?: number,
    options?: Omit<ConfigReloadOptions, 'validateOnly'>,
  ): Promise<ConfigReport>;
  /** Sets an override and reloads; a value that does not validate is not kept. */
  setOverride(
    key: string,
    value: unknown,
    options?: Omit<ConfigReloadOptions, 'validateOnly'>,
  ): Promise<ConfigReport>;
  /** Removes an override and reloads. */
  clearOverride(
    key: string,
    options?: Omit<ConfigReloadOptions, 'validateOnly'>,
  ): Promise<ConfigReport>;
  /** The kept snapshots, newest first, redacted. */
  snapshots(): SnapshotInfo[];
  /** Drops every snapshot but the live one; resolves how many were dropped. */
  clearSnapshots(): Promise<number>;
  /** Subscribes to changes of keys matching `pattern`; returns the unsubscribe function. */
  on(pattern: string, listener: ConfigListener<DeepReadonly<T>>): () => void;
  /** The live config with secrets redacted, for showing to a person. */
  redacted(): unknown;
  /**
   * During the runtime reload `reloadId`, once this config prepared a change that will commit:
   * the generation it will commit as and the keys it changes. Undefined otherwise. Units that
   * depend on the config use it to rebuild in the same transaction (a service's `configKeys`).
   */
  staged(reloadId: number): StagedConfig | undefined;
  /**
   * Runs `fn` with {@link get} and {@link current} reading the version this config prepared in
   * the reload in progress, if there is one (async work started inside `fn` too), so a
   * dependent unit builds its next version from the next config. Everything else keeps reading
   * the live version, and after the commit (or a failure) `fn`'s reads are live ones again.
   */
  preview<R>(fn: () => R): R;
  /** Phase 1 (runtime): build the next version off to the side; undefined when nothing changed. */
  prepare(ctx: Parameters<Unit['prepare']>[0]): Promise<ConfigPreparedChange | undefined>;
  /** Phase 1 (runtime): prepare a return to the snapshot `steps` back. */
  prepareRollback(
    steps: number,
    ctx: Parameters<Unit['prepare']>[0],
  ): Promise<ConfigPreparedChange>;
  /** Called by `runtime.add()`: standalone reloads then log through the runtime's logger. */
  attach(host: UnitHost): void;
  /** The unit state for `runtime.status()`. */
  status(): UnitStatus;
  /** Every layer file, existing or not, so the watcher notices one being created. */
  watchPaths(): readonly string[];
}
