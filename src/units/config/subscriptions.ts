/**
 * Subscriptions by key path: `config.on('llm.*', listener)`. After each committed reload, each
 * listener whose pattern touches a changed key is called once, with every matching change
 * (old and new values) — so a service rebuilds once per reload, not once per key. Listeners run
 * one at a time, in the order they subscribed; a listener that returns a promise is awaited.
 */

import type { KeyChange } from './diff.js';
import { compileKeyPattern, type KeyPattern } from './key-path.js';

/** What a listener receives. */
export interface ConfigChangeEvent<T> {
  /** The changed keys that match the listener's pattern, sorted by path, with real values. */
  readonly changes: readonly KeyChange[];
  /** The live config before the reload; undefined for the first load. */
  readonly previous: T | undefined;
  /** The live config now. */
  readonly current: T;
  /** Generation of the new version. */
  readonly generation: number;
}

/** A subscriber to config changes. Errors it throws are logged and reported, never undo the reload. */
export type ConfigListener<T> = (event: ConfigChangeEvent<T>) => void | Promise<void>;

/** A listener that threw, with its pattern. */
export interface ListenerFailure {
  pattern: string;
  error: unknown;
}

interface Subscription<T> {
  readonly pattern: KeyPattern;
  readonly listener: ConfigListener<T>;
}

/** The listeners of one config. */
export class Subscriptions<T> {
  #subs: Subscription<T>[] = [];

  /** Number of listeners. */
  get size(): number {
    return this.#subs.length;
  }

  /**
   * Adds a listener for keys matching `pattern` (`*` one key, `**` any number; a pattern also
   * covers everything under the keys it names). Returns a function that removes it.
   */
  on(pattern: string, listener: ConfigListener<T>): () => void {
    const sub: Subscription<T> = { pattern: compileKeyPattern(pattern), listener };
    this.#subs = [...this.#subs, sub];
    return () => {
      this.#subs = this.#subs.filter((s) => s !== sub);
    };
  }

  /** Calls each matching listener in order. Called after commit (see `config-unit.ts`). */
  async notify(
    event: Omit<ConfigChangeEvent<T>, 'changes'>,
    changes: readonly KeyChange[],
  ): Promise<ListenerFailure[]> {
    const failures: ListenerFailure[] = [];
    // The list as it was at commit: a listener that subscribes or unsubscribes another while
    // running changes the next notification, not this one.
    for (const sub of this.#subs) {
      const matching = changes.filter((c) => sub.pattern.overlaps(c.keys));
      if (matching.length === 0) continue;
      try {
        await sub.listener({ ...event, changes: matching });
      } catch (error) {
        failures.push({ pattern: sub.pattern.source, error });
      }
    }
    return failures;
  }

  /** Removes every listener. */
  clear(): void {
    this.#subs = [];
  }
}
