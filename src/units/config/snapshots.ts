/**
 * Snapshots: the committed versions of a config, oldest first, bounded (default 10). Only a
 * commit adds one, so a failed or validate-only reload never does. A cursor marks the live one:
 * `rollback(steps)` moves it back (after v0 → v1 → v2, one step gives v1 and a second step v0,
 * like undo); the next reload that commits drops the versions after the cursor and appends.
 */
import { HotswapError } from '../../errors.js';
import type { Trigger } from '../unit.js';

/** One committed version in the history. */
export interface SnapshotEntry<V> {
  /** Stable id, counting up from 1 for each commit. */
  readonly id: number;
  /** When it was committed. */
  readonly createdAt: Date;
  /** Who asked for the reload that committed it. */
  readonly trigger: Trigger;
  /** Key paths that changed from the version before it. */
  readonly changed: readonly string[];
  /** The version itself. */
  readonly version: V;
}

/** A saved history, for undoing a commit. */
export interface HistoryState<V> {
  readonly entries: readonly SnapshotEntry<V>[];
  readonly cursor: number;
  readonly nextId: number;
}

/**
 * The bounded history of one config, with its cursor.
 * @example
 * const history = new SnapshotHistory<string>(10);
 * history.record('v0', { kind: 'startup' }, []);
 */
export class SnapshotHistory<V> {
  readonly #limit: number;
  #entries: SnapshotEntry<V>[] = [];
  #cursor = -1;
  #nextId = 1;

  /** @param limit most versions kept; at least 1. */
  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new TypeError(`snapshots must be a positive integer, got ${limit}`);
    }
    this.#limit = limit;
  }

  /** The live entry, or undefined before the first commit. */
  get current(): SnapshotEntry<V> | undefined {
    return this.#entries[this.#cursor];
  }

  /** Every entry, oldest first, and the index of the live one. */
  list(): { entries: readonly SnapshotEntry<V>[]; cursor: number } {
    return { entries: this.#entries, cursor: this.#cursor };
  }

  /** Appends a committed version after the cursor (dropping rolled-back ones). Called in commit. */
  record(version: V, trigger: Trigger, changed: readonly string[]): SnapshotEntry<V> {
    const entry: SnapshotEntry<V> = {
      id: this.#nextId++,
      createdAt: new Date(),
      trigger,
      changed,
      version,
    };
    this.#entries = [...this.#entries.slice(0, this.#cursor + 1), entry].slice(-this.#limit);
    this.#cursor = this.#entries.length - 1;
    return entry;
  }

  /**
   * The entry `steps` before the live one. Throws `HS_ERR_UNIT_ROLLBACK` when there is none.
   * Called in prepare.
   */
  target(steps: number, unit: string): SnapshotEntry<V> {
    if (!Number.isInteger(steps) || steps < 1) {
      throw new HotswapError(
        'HS_ERR_UNIT_ROLLBACK',
        `rollback steps must be a positive integer, got ${steps}`,
        {
          unit,
        },
      );
    }
    const entry = this.#entries[this.#cursor - steps];
    if (!entry) {
      const max = Math.max(0, this.#cursor);
      throw new HotswapError(
        'HS_ERR_UNIT_ROLLBACK',
        `cannot roll "${unit}" back ${steps} step${steps === 1 ? '' : 's'}: ${max} earlier snapshot${max === 1 ? '' : 's'} kept`,
        {
          unit,
          hint: max > 0 ? `roll back at most ${max} step${max === 1 ? '' : 's'}` : 'reload first',
        },
      );
    }
    return entry;
  }

  /** Makes `entry` the live one (a rollback committed). Called in commit. */
  moveTo(entry: SnapshotEntry<V>): void {
    const index = this.#entries.indexOf(entry);
    if (index >= 0) this.#cursor = index;
  }

  /** Drops every entry but the live one; returns how many were dropped. */
  clear(): number {
    const live = this.current;
    const dropped = this.#entries.length - (live ? 1 : 0);
    this.#entries = live ? [live] : [];
    this.#cursor = live ? 0 : -1;
    return dropped;
  }

  /** Saves the whole history (taken at prepare, restored when a commit is undone). */
  save(): HistoryState<V> {
    return { entries: this.#entries, cursor: this.#cursor, nextId: this.#nextId };
  }

  /** Restores a saved history. Called in rollback. */
  restore(state: HistoryState<V>): void {
    this.#entries = [...state.entries];
    this.#cursor = state.cursor;
    this.#nextId = state.nextId;
  }
}
