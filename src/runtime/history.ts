/**
 * A bounded history: the newest `limit` entries, oldest first. Used for reload reports, so a
 * process that reloads for months keeps a constant amount of them.
 */

/** A bounded, ordered list. Create with {@link createHistory}. */
export interface History<T> {
  /** Most entries kept. */
  readonly limit: number;
  /** Entries kept now. */
  readonly size: number;
  /** Adds an entry, dropping the oldest beyond `limit`. */
  push(entry: T): void;
  /** The kept entries, oldest first (a copy). */
  list(): T[];
  /** The newest entry. */
  last(): T | undefined;
  /** The newest entry matching `predicate`. */
  find(predicate: (entry: T) => boolean): T | undefined;
  /** Forgets every entry. */
  clear(): void;
}

/**
 * Creates a bounded history.
 * @example
 * const history = createHistory<ReloadReport>(50);
 * history.push(report);
 * history.last()?.id;
 */
export function createHistory<T>(limit: number): History<T> {
  const max = Math.max(1, Math.floor(limit));
  // A ring: `start` is the oldest slot once full, so push is O(1) with no array shifting.
  const slots: T[] = [];
  let start = 0;
  const ordered = (): T[] =>
    slots.length < max ? [...slots] : [...slots.slice(start), ...slots.slice(0, start)];
  return {
    limit: max,
    get size() {
      return slots.length;
    },
    push(entry) {
      if (slots.length < max) slots.push(entry);
      else {
        slots[start] = entry;
        start = (start + 1) % max;
      }
    },
    list: ordered,
    last() {
      if (slots.length === 0) return undefined;
      return slots.length < max ? slots[slots.length - 1] : slots[(start + max - 1) % max];
    },
    find(predicate) {
      const all = ordered();
      for (let i = all.length - 1; i >= 0; i--) {
        const entry = all[i] as T;
        if (predicate(entry)) return entry;
      }
      return undefined;
    },
    clear() {
      slots.length = 0;
      start = 0;
    },
  };
}
