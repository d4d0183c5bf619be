/**
 * The contract every swappable unit implements (layer 2). The runtime (layer 3) only orders
 * units and drives these methods; each unit owns how it prepares, commits, undoes and retires
 * its own versions.
 *
 * Phases of one reload, in order:
 * 1. `prepare` every unit (dependencies first). No live state may change here.
 * 2. `pause` every unit that has it (workers reach a safe point).
 * 3. `commit` every prepared change (dependencies first). Commit is the only moment live
 *    references change.
 * 4. `resume` paused units, then `verify` each change.
 * 5. `finalize` each change: the old version is retired (disposed when its leases end).
 *
 * A failure in 1 or 2 discards every prepared change; a failure in 3 or 4 rolls back the changes
 * already committed, in reverse order. Either way every unit stays on its last good version.
 * A `commit()` that throws must leave its own unit as it was (commit is atomic per unit): the
 * runtime calls `discard()` on that change, and `rollback()` only on changes that committed.
 */
import type { Logger } from 'pino';
import type { SerializedError } from '../errors.js';
import type { Handle } from './handle.js';

/** What a reload did to one unit, or to one part of it. */
export type UnitOutcome =
  | 'refreshed'
  | 'added'
  | 'removed'
  | 'unchanged'
  | 'failed'
  | 'restart-required';

/** The kinds of unit hotswap ships. Custom units may use their own kind name. */
export type UnitKind = 'module' | 'commands' | 'config' | 'service' | 'worker' | (string & {});

/** Where a reload request came from, and who asked. */
export interface Trigger {
  /** api, watcher, signal, control, chat, dashboard, rollback, startup, or a custom name. */
  kind:
    | 'api'
    | 'watcher'
    | 'signal'
    | 'control'
    | 'chat'
    | 'dashboard'
    | 'rollback'
    | 'startup'
    | (string & {});
  /** Who asked: a user, a nick!user@host, a uid, a signal name. */
  by?: string;
  /** Free text shown in the report (e.g. the changed file). */
  detail?: string;
}

/** What `prepare` is given. */
export interface PrepareContext {
  /** Id of the reload this prepare belongs to. */
  readonly reloadId: number;
  /** Who asked for the reload. */
  readonly trigger: Trigger;
  /**
   * Absolute paths of files known to have changed since the last reload (from the watcher).
   * Empty when the trigger does not know (API, signal): the unit then checks everything it owns.
   */
  readonly changedFiles: ReadonlySet<string>;
  /** Aborted when the reload is abandoned (another unit failed, or a timeout passed). */
  readonly signal: AbortSignal;
  /** Logger bound to this unit. */
  readonly log: Logger;
  /**
   * Names of this unit's dependencies that prepared a change in this same reload (they commit
   * first). A unit that derives from a dependency can rebuild when one is listed, and report
   * `unchanged` otherwise. Absent when the caller does not know (a unit prepared on its own).
   */
  readonly changedDependencies?: readonly string[];
}

/** The outcome of one part of a unit that holds many (one command of a command table). */
export interface PartResult {
  /** Name of the part (e.g. the command name). */
  name: string;
  /** What happened to this part. A failed part keeps its last good version. */
  outcome: UnitOutcome;
  /** The part's file, when it has one. */
  file?: string;
  /** Why the part failed. */
  error?: SerializedError;
}

/**
 * A new version of a unit, prepared off to the side. Nothing of it is live until `commit()`.
 * Returned by {@link Unit.prepare}.
 */
export interface PreparedChange {
  /** What committing this change does. `unchanged` and `failed` are not prepared changes. */
  outcome: 'refreshed' | 'added' | 'removed' | 'restart-required';
  /** One line for the report, e.g. `llm.model, llm.temperature` or `+2 importers`. */
  summary?: string;
  /** Per-part results for units that hold many parts. Failed parts keep their last good version. */
  parts?: PartResult[];
  /** Keys or files that changed but are applied only by a restart. Reported, never half-applied. */
  restartRequired?: string[];
  /** Phase 3: make the new version live. A throw rolls back the reload. */
  commit(): void | Promise<void>;
  /** Undo `commit()`: the previous version is live again. Called in reverse order on failure. */
  rollback(): void | Promise<void>;
  /** Drop the prepared version without committing (another unit failed before commit). */
  discard(): void | Promise<void>;
  /** Phase 4, optional: check the committed version works. A throw rolls back every unit. */
  verify?(): void | Promise<void>;
  /** Phase 5, optional: retire the old version (dispose it once its leases end). */
  finalize?(): void | Promise<void>;
}

/** The state a unit reports in `runtime.status()`. */
export interface UnitStatus {
  name: string;
  kind: UnitKind;
  /** Generation of the live version; 0 before the first commit. */
  generation: number;
  /** Free-form state word: `active`, `running`, `paused`, `stopped`, `failed`, ... */
  state: string;
  /** What the last reload that touched this unit did. */
  lastOutcome?: UnitOutcome;
  /** The last error of this unit, kept until a later reload succeeds. */
  lastError?: SerializedError;
  /** Kind-specific facts (worker restarts, leases, part counts ...). */
  details?: Record<string, unknown>;
}

/** Options for {@link Unit.pause}. */
export interface PauseOptions {
  /** Milliseconds to reach a safe point before the reload is aborted. */
  timeout: number;
  /** Aborted when the reload is abandoned. */
  signal: AbortSignal;
}

/**
 * Something a unit tells its runtime between reloads: a worker died or was restarted, an old
 * version ended. The runtime turns each notice into a typed event, a log line and status.
 */
export type UnitNotice =
  | {
      type: 'worker-died';
      /** Why it died (a `HS_ERR_WORKER_DIED` error whose cause is the worker's own error). */
      error: unknown;
      /** Restarts so far. */
      restarts: number;
      /** Whether a restart is scheduled. */
      restart: boolean;
      /** Milliseconds until the restart, when one is scheduled. */
      delay?: number;
    }
  | { type: 'worker-restarted'; restarts: number }
  | {
      type: 'version-disposed';
      generation: number;
      /** True when the version was disposed with leases still in flight (drain timeout, close). */
      forced: boolean;
      /** Errors thrown while disposing (its scope, its dispose hook). */
      errors: unknown[];
    };

/** What a runtime gives a unit when the unit is added to it (see {@link Unit.attach}). */
export interface UnitHost {
  /** Logger bound to the unit. */
  readonly log: Logger;
  /** Reports something that happened outside a reload. Never throws. */
  notify(notice: UnitNotice): void;
}

/** A swappable unit. */
export interface Unit {
  /** Unique name within a runtime. */
  readonly name: string;
  /** Kind of unit. */
  readonly kind: UnitKind;
  /** Names of units this one depends on: they prepare and commit first. */
  readonly dependsOn: readonly string[];
  /** Generation of the live version. */
  readonly generation: number;
  /**
   * Phase 1: prepare a new version off to the side. Resolves `undefined` when nothing changed.
   * Throws (a `HotswapError` with a location, ideally) when the new version is broken; then
   * nothing changes anywhere.
   */
  prepare(ctx: PrepareContext): Promise<PreparedChange | undefined>;
  /**
   * Prepare a change back to the version committed `steps` commits ago. It is committed
   * through the same transaction as any reload. Throws `HS_ERR_UNIT_ROLLBACK` when there is none.
   */
  prepareRollback?(steps: number, ctx: PrepareContext): Promise<PreparedChange>;
  /** Phase 2, optional: reach a safe point and stay there until `resume()`. */
  pause?(options: PauseOptions): Promise<void>;
  /** Phase 4, optional: continue after `pause()`. */
  resume?(): void | Promise<void>;
  /** What `runtime.status()` shows of this unit. */
  status(): UnitStatus;
  /**
   * Absolute paths of the files the live version was read from (config files, command modules).
   * The file-watcher trigger reloads this unit, with those paths in `changedFiles`, when one of
   * them (or a file in a watched folder) changes. Units never watch files themselves.
   */
  watchPaths?(): readonly string[];
  /** Release everything the unit holds (runtime close). */
  close?(): Promise<void>;
  /**
   * The stable reference to the unit's live version, when it has one. The runtime uses it for
   * `runtime.lease(name)`, the leases in `status()`, and drain (waiting for in-flight work).
   */
  readonly handle?: Handle<unknown>;
  /**
   * Milliseconds this unit may take in `pause()` before the reload is aborted.
   * @default the runtime's `pauseTimeout`
   */
  readonly pauseTimeout?: number;
  /**
   * Called once by `runtime.add(unit)`, before any reload, with the unit's logger and a way to
   * report what happens between reloads (a worker that died). A unit belongs to one runtime.
   */
  attach?(host: UnitHost): void;
}
