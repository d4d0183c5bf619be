/**
 * What the dashboard page shows, as one JSON document: the runtime's status and its latest
 * reports, trimmed for a browser (no stacks: a code frame and a file:line say more to a person).
 */
import type { SerializedError } from '../../errors.js';
import type { ReloadReport } from '../../runtime/report.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { RuntimeStatus } from '../../runtime/status.js';

/** An error as the page shows it. */
export type ErrorView = Omit<SerializedError, 'stack' | 'cause'> & { cause?: ErrorView };

/** One report as the page shows it. */
export interface ReportView
  extends Omit<ReloadReport, 'units' | 'error' | 'start' | 'phases' | 'paused'> {
  error?: ErrorView;
  units: (Omit<ReloadReport['units'][number], 'error' | 'timings' | 'parts'> & {
    error?: ErrorView;
    parts?: { name: string; outcome: string; error?: ErrorView }[];
  })[];
}

/** The page's document. */
export interface DashboardState {
  /** Process id. */
  pid: number;
  /** The runtime's status, errors trimmed. */
  status: RuntimeStatus;
  /** The latest reports, oldest first. */
  history: ReportView[];
}

/** An error without its stack, recursively. */
export function errorView(error: SerializedError | undefined): ErrorView | undefined {
  if (!error) return undefined;
  const { stack: _stack, cause, ...rest } = error;
  const view: ErrorView = { ...rest };
  const trimmed = errorView(cause);
  if (trimmed) view.cause = trimmed;
  return view;
}

/** A report without stacks and timings. */
export function reportView(report: ReloadReport): ReportView {
  const { units, error, start: _start, phases: _phases, paused: _paused, ...rest } = report;
  const view: ReportView = {
    ...rest,
    units: units.map(({ error: unitError, timings: _timings, parts, ...unit }) => ({
      ...unit,
      ...(unitError ? { error: errorView(unitError) } : {}),
      ...(parts
        ? {
            parts: parts.map((part) => ({
              name: part.name,
              outcome: part.outcome,
              ...(part.error ? { error: errorView(part.error) } : {}),
            })),
          }
        : {}),
    })),
  };
  if (error) view.error = errorView(error);
  return view;
}

/** The page's document now; `limit` reports at most. */
export function dashboardState(runtime: Runtime, limit = 30): DashboardState {
  const status = runtime.status();
  const trimmed: RuntimeStatus = {
    ...status,
    units: status.units.map((unit) =>
      unit.lastError ? { ...unit, lastError: errorView(unit.lastError) as SerializedError } : unit,
    ),
    workers: status.workers.map((worker) =>
      worker.lastError
        ? { ...worker, lastError: errorView(worker.lastError) as SerializedError }
        : worker,
    ),
  };
  if (status.lastError) {
    trimmed.lastError = {
      ...status.lastError,
      error: errorView(status.lastError.error) as SerializedError,
    };
  }
  return {
    pid: process.pid,
    status: trimmed,
    history: runtime.history().slice(-limit).map(reportView),
  };
}
