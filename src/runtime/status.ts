/**
 * `runtime.status()`: what a dashboard, the control socket or `hotswap status` shows. Each unit
 * with its generation and last outcome, workers and their state, leases in flight, draining, and
 * the error state (`lastError`), which a UI turns red and the next successful reload clears.
 */
import { type SerializedError, serializeError } from '../errors.js';
import type { Unit, UnitOutcome, UnitStatus } from '../units/unit.js';
import type { ReloadKind } from './report.js';

/** One unit in `runtime.status()`. */
export interface UnitStatusEntry extends UnitStatus {
  /** Leases in flight on the unit (all its versions). */
  leases: number;
  /** The last transaction that included the unit. */
  lastReloadId?: number;
}

/** One worker in `runtime.status()`. */
export interface WorkerStatusEntry {
  /** Unit name. */
  name: string;
  /** Worker state (`running`, `paused`, `backoff`, `dead`, ...). */
  state: string;
  /** Restarts so far. */
  restarts: number;
  /** False when a death is final. */
  restartable: boolean;
  /** Why it last died. */
  lastError?: SerializedError;
}

/** The error state: the last thing that failed, until a reload succeeds. */
export interface RuntimeErrorState {
  /** What failed: a reload, a drain (lease timeout), a worker, an old version's disposal. */
  source: 'reload' | 'drain' | 'worker' | 'dispose';
  /** The transaction, for reload errors. */
  reloadId?: number;
  /** The unit it concerns. */
  unit?: string;
  /** The error. */
  error: SerializedError;
  /** When, ISO 8601. */
  at: string;
}

/** What `runtime.status()` returns. */
export interface RuntimeStatus {
  /** Runtime name. */
  name: string;
  /** `reloading` while a transaction runs. */
  state: 'idle' | 'reloading' | 'closing' | 'closed';
  /** True while draining. */
  draining: boolean;
  /** Requests waiting for the running transaction. */
  queued: number;
  /** Transactions run so far. */
  reloads: number;
  /** Every unit, in registration order. */
  units: UnitStatusEntry[];
  /** Every worker unit. */
  workers: WorkerStatusEntry[];
  /** Leases in flight. */
  leases: { total: number; byUnit: Record<string, number> };
  /** The newest report, briefly. */
  lastReport?: {
    id: number;
    kind: ReloadKind;
    ok: boolean;
    committed: boolean;
    summary: string;
    startedAt: string;
  };
  /** The error state; absent when all is well. */
  lastError?: RuntimeErrorState;
}

/** What the runtime remembers of a unit between reloads. */
export interface UnitRecord {
  lastOutcome?: UnitOutcome;
  lastError?: SerializedError;
  lastReloadId?: number;
}

/**
 * Reads one unit's status, never throwing: a status() that throws shows as state `unknown`.
 */
export function unitStatusEntry(unit: Unit, record: UnitRecord, leases: number): UnitStatusEntry {
  let status: UnitStatus;
  try {
    status = unit.status();
  } catch (err) {
    status = {
      name: unit.name,
      kind: unit.kind,
      generation: safeGeneration(unit),
      state: 'unknown',
      lastError: serializeError(err),
    };
  }
  const entry: UnitStatusEntry = { ...status, leases };
  const lastOutcome = record.lastOutcome ?? status.lastOutcome;
  if (lastOutcome !== undefined) entry.lastOutcome = lastOutcome;
  const lastError = record.lastError ?? status.lastError;
  if (lastError !== undefined) entry.lastError = lastError;
  if (record.lastReloadId !== undefined) entry.lastReloadId = record.lastReloadId;
  return entry;
}

/** The worker view of a worker unit's status entry. */
export function workerStatusEntry(entry: UnitStatusEntry): WorkerStatusEntry {
  const details = entry.details ?? {};
  const worker: WorkerStatusEntry = {
    name: entry.name,
    state: entry.state,
    restarts: typeof details.restarts === 'number' ? details.restarts : 0,
    restartable: details.restartable !== false,
  };
  if (entry.lastError) worker.lastError = entry.lastError;
  return worker;
}

function safeGeneration(unit: Unit): number {
  try {
    return unit.generation;
  } catch {
    return 0;
  }
}
