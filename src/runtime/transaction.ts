/**
 * One reload transaction over ordered units:
 *
 *   prepare all (no live side effects) → pause workers → commit all → resume → verify → finalize
 *
 * A failed prepare or pause discards every prepared change. A failed commit discards that unit's
 * change and rolls back the ones already committed, in reverse order, before workers resume. A
 * failed verify pauses again and rolls everything back. Either way every unit stays on its last
 * good version, and the report says which unit failed, in which phase, with file:line.
 *
 * Never throws: every failure, down to a unit's rollback throwing, ends up in the report.
 */
import type { Logger } from 'pino';
import { HotswapError, type HotswapErrorCode, isHotswapError, oneLine } from '../errors.js';
import type { PrepareContext, PreparedChange, Trigger, Unit } from '../units/unit.js';
import type { EventBus } from './events.js';
import {
  countOutcomes,
  formatReport,
  type PhaseTimings,
  type ReloadKind,
  type ReloadPhase,
  type ReloadReport,
  reportError,
  type UnitReport,
} from './report.js';

/** One unit of a transaction and what to ask of it. */
export interface PlanItem {
  unit: Unit;
  /** `prepare` (a reload) or `rollback` (`prepareRollback(steps)`). */
  action: 'prepare' | 'rollback';
  /** Commits back, for `rollback`. */
  steps?: number;
  /**
   * For a rollback of every unit: a unit with no earlier version (or no rollback at all) stays
   * unchanged instead of failing the transaction.
   */
  optional?: boolean;
}

/** Everything one transaction needs. */
export interface TransactionInput {
  id: number;
  kind: ReloadKind;
  trigger: Trigger;
  coalesced: Trigger[];
  requested: string[] | 'all';
  /** Units in dependency order. */
  plan: PlanItem[];
  /** Every registered unit that can pause (workers), paused around the commit. */
  pausable: Unit[];
  changedFiles: ReadonlySet<string>;
  /** Default pause timeout in milliseconds (a unit's own `pauseTimeout` wins). */
  pauseTimeout: number;
  log: Logger;
  logOf(unit: Unit): Logger;
  events: EventBus;
  /** A planning failure (a cycle): the transaction fails at once with it. */
  failure?: unknown;
}

interface Entry {
  readonly unit: Unit;
  readonly item: PlanItem | undefined;
  readonly report: UnitReport;
  change?: PreparedChange;
  committed: boolean;
}

const now = (): number => performance.now();
const round = (ms: number): number => Math.round(ms * 100) / 100;

/** Runs one transaction and returns its report. Never throws. */
export async function runTransaction(input: TransactionInput): Promise<ReloadReport> {
  const startedAt = new Date();
  const t0 = now();
  const controller = new AbortController();
  const phases: PhaseTimings = {};
  const entries: Entry[] = input.plan.map((item) => newEntry(item.unit, item));
  const byName = new Map(entries.map((e) => [e.unit.name, e]));
  const paused: string[] = [];
  let stopError: unknown;
  let success = false;

  const entryOf = (unit: Unit): Entry => {
    let entry = byName.get(unit.name);
    if (entry === undefined) {
      // A worker outside the plan that failed to pause or resume still gets its line.
      entry = newEntry(unit, undefined);
      entries.push(entry);
      byName.set(unit.name, entry);
    }
    return entry;
  };

  // Records an error on a unit's line without failing the transaction (resume, finalize).
  const record = (
    entry: Entry,
    phase: ReloadPhase,
    err: unknown,
    code: HotswapErrorCode,
  ): HotswapError => {
    const error = toUnitError(err, code, entry.unit.name, phase);
    const serialized = reportError(error);
    entry.report.error = serialized;
    entry.report.phase = phase;
    input.events.emit('unit-failed', {
      reloadId: input.id,
      unit: entry.unit.name,
      phase,
      error: serialized,
    });
    return error;
  };

  const fail = (entry: Entry, phase: ReloadPhase, err: unknown, code: HotswapErrorCode): void => {
    const error = record(entry, phase, err, code);
    entry.report.outcome = 'failed';
    stopError ??= error;
  };

  input.events.emit('reload-start', {
    id: input.id,
    kind: input.kind,
    trigger: input.trigger,
    coalesced: input.coalesced,
    requested: input.requested,
    units: entries.map((e) => e.unit.name),
  });

  if (input.failure !== undefined) {
    stopError = input.failure;
    return finish();
  }

  // 1. prepare: every unit, so one report shows every broken unit at once.
  let t = now();
  const blocked = new Set<string>();
  const changed = new Set<string>();
  for (const entry of entries) {
    const { unit } = entry;
    const item = entry.item as PlanItem;
    const failedDep = unit.dependsOn.find((dep) => blocked.has(dep));
    if (failedDep !== undefined) {
      entry.report.skipped = `dependency ${failedDep} failed`;
      blocked.add(unit.name);
      continue;
    }
    const ctx: PrepareContext = {
      reloadId: input.id,
      trigger: input.trigger,
      changedFiles: input.changedFiles,
      signal: controller.signal,
      log: input.logOf(unit),
      changedDependencies: unit.dependsOn.filter((dep) => changed.has(dep)),
    };
    const started = now();
    try {
      const change = await prepareOne(unit, item, ctx);
      if (change !== undefined) {
        checkChange(change, unit.name);
        entry.change = change;
        entry.report.planned = change.outcome;
        if (change.summary !== undefined) entry.report.summary = change.summary;
        if (change.parts !== undefined) entry.report.parts = change.parts.map((p) => ({ ...p }));
        if (change.restartRequired?.length) {
          entry.report.restartRequired = [...change.restartRequired];
        }
        changed.add(unit.name);
      }
    } catch (err) {
      if (item.optional && isHotswapError(err, 'HS_ERR_UNIT_ROLLBACK')) {
        entry.report.summary = 'no earlier version';
      } else {
        fail(entry, 'prepare', err, 'HS_ERR_UNIT_PREPARE');
        blocked.add(unit.name);
      }
    }
    entry.report.timings.prepare = round(now() - started);
  }
  phases.prepare = round(now() - t);

  const prepared = entries.filter((e) => e.change !== undefined);
  if (stopError !== undefined) {
    await discard(prepared);
    return finish();
  }
  if (prepared.length === 0) {
    success = true;
    return finish();
  }

  // 2. pause: every worker reaches a safe point, or the reload is aborted.
  t = now();
  const pauseFailures = await pauseAll(input.pausable, input.pauseTimeout, controller.signal);
  phases.pause = round(now() - t);
  for (const unit of input.pausable) if (!pauseFailures.has(unit)) paused.push(unit.name);
  if (pauseFailures.size > 0) {
    controller.abort(new Error('a unit did not pause'));
    for (const [unit, err] of pauseFailures)
      fail(entryOf(unit), 'pause', err, 'HS_ERR_RELOAD_ABORTED');
    await resumeAll(input.pausable);
    await discard(prepared);
    return finish();
  }

  // 3. commit, dependencies first.
  t = now();
  const committed: Entry[] = [];
  for (const entry of prepared) {
    const change = entry.change as PreparedChange;
    const started = now();
    try {
      await change.commit();
      entry.committed = true;
      committed.push(entry);
    } catch (err) {
      entry.report.timings.commit = round(now() - started);
      fail(entry, 'commit', err, 'HS_ERR_UNIT_COMMIT');
      // A commit that throws leaves its unit as it was; its change is dropped.
      await discard([entry]);
      const tr = now();
      await rollback(committed);
      phases.rollback = round(now() - tr);
      await discard(prepared.filter((e) => !e.committed && e !== entry));
      break;
    }
    entry.report.timings.commit = round(now() - started);
  }
  phases.commit = round(now() - t);

  // 4. resume, then verify.
  t = now();
  await resumeAll(input.pausable);
  phases.resume = round(now() - t);
  if (stopError !== undefined) return finish();

  t = now();
  for (const entry of committed) {
    const verify = entry.change?.verify;
    if (verify === undefined) continue;
    const started = now();
    try {
      await verify.call(entry.change);
    } catch (err) {
      fail(entry, 'verify', err, 'HS_ERR_UNIT_VERIFY');
    }
    entry.report.timings.verify = round(now() - started);
    if (stopError !== undefined) break;
  }
  phases.verify = round(now() - t);
  if (stopError !== undefined) {
    // Undo under a pause too, so no worker sees half the units rolled back.
    const tr = now();
    const failures = await pauseAll(input.pausable, input.pauseTimeout, controller.signal);
    for (const [unit, err] of failures) {
      input.log.warn(
        { unit: unit.name, err },
        'did not pause for the rollback; rolling back anyway',
      );
    }
    await rollback(committed);
    await resumeAll(input.pausable);
    phases.rollback = round(now() - tr);
    return finish();
  }

  // 5. finalize: old versions retire (disposed when their leases end).
  t = now();
  for (const entry of committed) {
    const finalize = entry.change?.finalize;
    if (finalize === undefined) continue;
    const started = now();
    try {
      await finalize.call(entry.change);
    } catch (err) {
      // The change stays live: finalize failing is reported, never undone.
      record(entry, 'finalize', err, 'HS_ERR_UNIT_COMMIT');
    }
    entry.report.timings.finalize = round(now() - started);
  }
  phases.finalize = round(now() - t);
  success = true;
  return finish();

  async function discard(list: readonly Entry[]): Promise<void> {
    const started = now();
    for (const entry of [...list].reverse()) {
      if (entry.report.discarded) continue;
      entry.report.discarded = true;
      try {
        await entry.change?.discard();
      } catch (err) {
        input.log.warn({ unit: entry.unit.name, err }, 'discarding a prepared change threw');
      }
    }
    if (list.length > 0) phases.discard = round((phases.discard ?? 0) + now() - started);
  }

  async function rollback(list: readonly Entry[]): Promise<void> {
    for (const entry of [...list].reverse()) {
      const started = now();
      try {
        await entry.change?.rollback();
        entry.report.rolledBack = true;
      } catch (err) {
        const error = new HotswapError(
          'HS_ERR_UNIT_UNDO',
          `${entry.unit.name}: rollback failed: ${oneLine(err)}`,
          { unit: entry.unit.name, cause: err, hint: 'restart the process' },
        );
        fail(entry, 'rollback', error, 'HS_ERR_UNIT_UNDO');
      }
      entry.report.timings.rollback = round(now() - started);
    }
  }

  async function resumeAll(units: readonly Unit[]): Promise<void> {
    for (const unit of units) {
      try {
        await unit.resume?.();
      } catch (err) {
        // A worker that did not resume is reported, but does not undo a good reload.
        record(entryOf(unit), 'resume', err, 'HS_ERR_UNIT_COMMIT');
      }
    }
  }

  function finish(): ReloadReport {
    const transactionCommitted = success && stopError === undefined;
    for (const entry of entries) {
      const r = entry.report;
      r.generation.to = safeGeneration(entry.unit, r.generation.from);
      if (r.outcome === 'failed') continue;
      if (entry.committed && !r.rolledBack && entry.change) r.outcome = entry.change.outcome;
    }
    const withoutSummary: Omit<ReloadReport, 'summary'> = {
      id: input.id,
      kind: input.kind,
      trigger: input.trigger,
      coalesced: input.coalesced,
      requested: input.requested,
      startedAt: startedAt.toISOString(),
      start: startedAt.getTime(),
      durationMs: round(now() - t0),
      ok: false,
      committed: transactionCommitted && entries.some((e) => e.committed),
      rolledBack: entries.some((e) => e.report.rolledBack),
      paused,
      units: entries.map((e) => e.report),
      phases,
      counts: countOutcomes(entries.map((e) => e.report)),
    };
    if (stopError !== undefined) withoutSummary.error = reportError(stopError);
    withoutSummary.ok =
      stopError === undefined &&
      entries.every(
        (e) => e.report.error === undefined && !e.report.parts?.some((p) => p.outcome === 'failed'),
      );
    const report: ReloadReport = { ...withoutSummary, summary: formatReport(withoutSummary) };
    input.events.emit('reload-end', { report });
    return report;
  }
}

function newEntry(unit: Unit, item: PlanItem | undefined): Entry {
  const generation = safeGeneration(unit, 0);
  return {
    unit,
    item,
    committed: false,
    report: {
      name: unit.name,
      kind: unit.kind,
      outcome: 'unchanged',
      generation: { from: generation, to: generation },
      rolledBack: false,
      discarded: false,
      timings: {},
    },
  };
}

async function prepareOne(
  unit: Unit,
  item: PlanItem,
  ctx: PrepareContext,
): Promise<PreparedChange | undefined> {
  if (item.action === 'prepare') return unit.prepare(ctx);
  if (typeof unit.prepareRollback !== 'function') {
    throw new HotswapError('HS_ERR_UNIT_ROLLBACK', `${unit.name} keeps no earlier versions`, {
      unit: unit.name,
    });
  }
  return unit.prepareRollback(item.steps ?? 1, ctx);
}

function checkChange(change: PreparedChange, unit: string): void {
  for (const method of ['commit', 'rollback', 'discard'] as const) {
    if (typeof change[method] !== 'function') {
      throw new HotswapError(
        'HS_ERR_UNIT_PREPARE',
        `${unit}: prepare returned a change without ${method}()`,
        { unit },
      );
    }
  }
}

async function pauseAll(
  units: readonly Unit[],
  defaultTimeout: number,
  parent: AbortSignal,
): Promise<Map<Unit, unknown>> {
  const failures = new Map<Unit, unknown>();
  await Promise.all(
    units.map(async (unit) => {
      try {
        await pauseOne(unit, unit.pauseTimeout ?? defaultTimeout, parent);
      } catch (err) {
        failures.set(unit, err);
      }
    }),
  );
  return failures;
}

async function pauseOne(unit: Unit, timeout: number, parent: AbortSignal): Promise<void> {
  const controller = new AbortController();
  const onParent = (): void => controller.abort(parent.reason);
  parent.addEventListener('abort', onParent, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new HotswapError(
        'HS_ERR_WORKER_PAUSE_TIMEOUT',
        `${unit.name} did not reach a safe point within ${timeout} ms; the reload was aborted and nothing changed`,
        {
          unit: unit.name,
          hint: 'await ctx.checkpoint() or ctx.sleep() in the loop, or raise pauseTimeout',
        },
      );
      controller.abort(err);
      reject(err);
    }, timeout);
  });
  try {
    await Promise.race([
      Promise.resolve().then(() => unit.pause?.({ timeout, signal: controller.signal })),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
    parent.removeEventListener('abort', onParent);
  }
}

function toUnitError(
  err: unknown,
  code: HotswapErrorCode,
  unit: string,
  phase: ReloadPhase,
): HotswapError {
  if (isHotswapError(err)) return err;
  return new HotswapError(code, `${unit}: ${phase} failed: ${oneLine(err)}`, {
    unit,
    cause: err,
  });
}

function safeGeneration(unit: Unit, fallback: number): number {
  try {
    return unit.generation;
  } catch {
    return fallback;
  }
}
