/**
 * The report of one reload: plain data (JSON as is, for the control socket, the dashboard and
 * logs) plus a human summary: one line when nothing failed, else a headline and one bullet per
 * failure, each on one line with the file:line of its cause.
 */
import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  isHotswapError,
  oneLine,
  type SerializedError,
  type SourceLocation,
  serializeError,
} from '../errors.js';
import type { PartResult, Trigger, UnitKind, UnitOutcome } from '../units/unit.js';

/** A transaction is a reload, or a rollback to earlier versions. */
export type ReloadKind = 'reload' | 'rollback';

/** The phases of a transaction, as timed in reports. */
export type ReloadPhase =
  | 'prepare'
  | 'pause'
  | 'commit'
  | 'resume'
  | 'verify'
  | 'finalize'
  | 'rollback'
  | 'discard';

/** Milliseconds spent per phase. */
export type PhaseTimings = Partial<Record<ReloadPhase, number>>;

/** What one reload did to one unit. */
export interface UnitReport {
  /** Unit name. */
  name: string;
  /** Unit kind. */
  kind: UnitKind;
  /** What happened: the truth after the reload (a rolled-back change is `unchanged`). */
  outcome: UnitOutcome;
  /** What the prepared change would have done, when it did not stick (rolled back, discarded). */
  planned?: UnitOutcome;
  /** Generation before and after. */
  generation: { from: number; to: number };
  /** The unit's one-line summary of its change. */
  summary?: string;
  /** Per-part results, for units that hold many parts. */
  parts?: PartResult[];
  /** What changed but takes a restart to apply. */
  restartRequired?: string[];
  /** Why the unit failed (with `location` when known). */
  error?: SerializedError;
  /** The phase the error happened in. */
  phase?: ReloadPhase;
  /** True when the change was committed, then undone because something later failed. */
  rolledBack: boolean;
  /** True when the change was prepared, then dropped because something else failed. */
  discarded: boolean;
  /** Why the unit was not prepared at all (a dependency failed). */
  skipped?: string;
  /** Milliseconds per phase for this unit. */
  timings: PhaseTimings;
}

/** The outcome of one reload or rollback. */
export interface ReloadReport {
  /** Transaction id, increasing per runtime. */
  id: number;
  /** Reload or rollback. */
  kind: ReloadKind;
  /** Who asked first. */
  trigger: Trigger;
  /** Requests merged into this one while it waited (coalesced), after the first. */
  coalesced: Trigger[];
  /** Units asked for (`all`), before dependents were added. */
  requested: string[] | 'all';
  /** Start time, ISO 8601. */
  startedAt: string;
  /** Start time, epoch milliseconds. */
  start: number;
  /** Milliseconds from start to end. */
  durationMs: number;
  /** True when nothing failed: no unit, part, resume or finalize. */
  ok: boolean;
  /** True when the changes are live (false: every unit is on its previous version). */
  committed: boolean;
  /** True when committed changes were undone. */
  rolledBack: boolean;
  /** The error that stopped the transaction, when one did. */
  error?: SerializedError;
  /** Units paused around the commit. */
  paused: string[];
  /** One entry per unit in the transaction, in dependency order. */
  units: UnitReport[];
  /** Milliseconds per phase. */
  phases: PhaseTimings;
  /** Units per outcome. */
  counts: Record<UnitOutcome, number>;
  /** Human summary: one line when nothing failed, else a headline and one bullet per failure. */
  summary: string;
}

const ownRoot = fileURLToPath(new URL('../', import.meta.url));

/**
 * Where an error comes from in the user's code: the error's own `location`, else the first
 * stack frame outside hotswap, node internals and node_modules (then its `cause`).
 * @example
 * locateError(err); // { file: '/app/src/routes.ts', line: 12, column: 9 }
 */
export function locateError(err: unknown, depth = 0): SourceLocation | undefined {
  if (isHotswapError(err) && err.location) return err.location;
  if (err instanceof Error && typeof err.stack === 'string') {
    for (const line of err.stack.split('\n').slice(1)) {
      const match = /\(?((?:file:\/\/)?[^\s()]+?):(\d+):(\d+)\)?\s*$/.exec(line.trim());
      if (!match) continue;
      let file = match[1] as string;
      if (file.startsWith('file://')) {
        try {
          file = fileURLToPath(file);
        } catch {
          continue;
        }
      }
      if (!file.startsWith(sep) && !/^[A-Za-z]:[\\/]/.test(file)) continue;
      if (file.startsWith(ownRoot) || file.includes(`${sep}node_modules${sep}`)) continue;
      return { file, line: Number(match[2]), column: Number(match[3]) };
    }
  }
  if (err instanceof Error && err.cause !== undefined && depth < 4) {
    return locateError(err.cause, depth + 1);
  }
  return undefined;
}

/** Serializes an error for a report, filling `location` from the stack when it has none. */
export function reportError(err: unknown): SerializedError {
  const serialized = serializeError(err);
  if (serialized.location === undefined) {
    const location = locateError(err);
    if (location) serialized.location = location;
  }
  return serialized;
}

/** `file:line` of a serialized error (relative to `cwd` when inside it), or undefined. */
export function errorWhere(error: SerializedError, cwd = process.cwd()): string | undefined {
  const location = error.location ?? error.cause?.location;
  if (!location) return undefined;
  const rel = relative(cwd, location.file);
  const file = rel && !rel.startsWith('..') && !rel.startsWith(sep) ? rel : location.file;
  return `${file}:${location.line}`;
}

/** How a trigger reads in a summary: `chat by alice`, `watcher: src/a.ts`. */
export function describeTrigger(trigger: Trigger): string {
  let text = trigger.kind;
  if (trigger.by) text += ` by ${trigger.by}`;
  if (trigger.detail) text += `: ${oneLine(trigger.detail)}`;
  return text;
}

const outcomeOrder: readonly UnitOutcome[] = [
  'refreshed',
  'added',
  'removed',
  'restart-required',
  'unchanged',
  'failed',
];

/** Units per outcome. */
export function countOutcomes(units: readonly UnitReport[]): Record<UnitOutcome, number> {
  const counts = Object.fromEntries(outcomeOrder.map((o) => [o, 0])) as Record<UnitOutcome, number>;
  for (const unit of units) counts[unit.outcome]++;
  return counts;
}

/** One failure of a report: a unit or a part, and its error. */
export interface ReportFailure {
  /** `unit` or `unit/part`. */
  label: string;
  /** The phase it failed in. */
  phase?: ReloadPhase;
  /** The error. */
  error: SerializedError;
}

/**
 * Every failure of a report: failed units, failed parts, resume and finalize errors.
 * @example
 * for (const f of reportFailures(report)) chat.say(`${f.label}: ${f.error.message}`);
 */
export function reportFailures(report: Pick<ReloadReport, 'units'>): ReportFailure[] {
  const failures: ReportFailure[] = [];
  for (const unit of report.units) {
    if (unit.error) failures.push({ label: unit.name, phase: unit.phase, error: unit.error });
    for (const part of unit.parts ?? []) {
      if (part.outcome !== 'failed') continue;
      const error = part.error ?? { name: 'Error', message: 'failed' };
      const withFile =
        error.location === undefined && part.file
          ? { ...error, location: { file: part.file, line: 1, column: 1 } }
          : error;
      failures.push({ label: `${unit.name}/${part.name}`, error: withFile });
    }
  }
  return failures;
}

/**
 * The human summary of a report (see {@link ReloadReport.summary}); file paths are shown
 * relative to `cwd` when inside it.
 * @example
 * formatReport(report); // 'reload #3 (api): 2 refreshed, 4 unchanged in 12 ms'
 */
export function formatReport(
  report: Omit<ReloadReport, 'summary'>,
  cwd: string = process.cwd(),
): string {
  const merged = report.coalesced.length > 0 ? `, +${report.coalesced.length} merged` : '';
  const label = `${report.kind} #${report.id} (${describeTrigger(report.trigger)}${merged})`;
  const failures = reportFailures(report);
  let headline: string;
  if (!report.committed && (report.error || failures.length > 0)) {
    const undone = report.units.filter((u) => u.rolledBack).map((u) => u.name);
    const rolled = undone.length > 0 ? `, rolled back ${undone.join(', ')}` : '';
    headline = `${label} failed${rolled}: nothing changed`;
  } else {
    const counts = outcomeOrder
      .filter((o) => report.counts[o] > 0)
      .map((o) => `${report.counts[o]} ${o}`);
    headline = `${label}: ${counts.join(', ') || 'no units'} in ${formatMs(report.durationMs)}`;
    const restart = report.units.filter((u) => u.restartRequired?.length);
    if (restart.length > 0) {
      headline += `; restart required for ${restart
        .map((u) => `${u.name} (${u.restartRequired?.join(', ')})`)
        .join(', ')}`;
    }
  }
  if (failures.length === 0 && report.error === undefined) return headline;
  const bullets = failures.map((f) => bullet(f, cwd));
  if (failures.length === 0 && report.error) {
    bullets.push(bullet({ label: report.kind, error: report.error }, cwd));
  }
  return `${headline}\n${bullets.join('\n')}`;
}

function bullet(failure: ReportFailure, cwd: string): string {
  const unitPrefix = `${failure.label.split('/')[0]}: `;
  let message = oneLine(failure.error.message);
  if (message.startsWith(unitPrefix)) message = message.slice(unitPrefix.length);
  const code = failure.error.code ? `${failure.error.code} ` : '';
  const where = errorWhere(failure.error, cwd);
  return `- ${failure.label}: ${code}${message}${where ? ` (${where})` : ''}`;
}

function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}
