/**
 * A consumer for watcher tests that behaves like an app: on each batch it reads every file it
 * was given, and what it read last is what it "serves". Tests wait on batches, never on sleeps.
 */
import { readFile } from 'node:fs/promises';
import type { ChangeBatch } from '../../src/triggers/watcher.js';

/** One batch as the consumer saw it. */
export interface SeenBatch {
  changed: string[];
  added: string[];
  removed: string[];
  files: string[];
  /** Content read during the call; null for removed or unreadable files. */
  read: Map<string, string | null>;
}

/** See {@link createBatchLog}. */
export interface BatchLog {
  readonly batches: SeenBatch[];
  /** The last content read per file: what an app would be serving now. */
  readonly served: Map<string, string | null>;
  /** Errors passed to `onError`. */
  readonly errors: unknown[];
  /** Pass as `onBatch`. */
  onBatch(batch: ChangeBatch): Promise<void>;
  /** Pass as `onError`. */
  onError(err: unknown): void;
  /** Called after the consumer read a batch and before it returns: makes the consumer slow. */
  hold: ((batch: SeenBatch) => Promise<void>) | undefined;
  /** Called before the consumer reads a batch. */
  beforeRead: ((batch: SeenBatch) => Promise<void>) | undefined;
  /** Resolves once `condition` holds, checked now and after each batch is read. */
  until(condition: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Resolves once no batch arrived for `ms` in a row (bounded: fails after 20 tries). */
  quiet(ms?: number): Promise<void>;
  /** Every file that appeared in any batch under `kind`. */
  all(kind: 'changed' | 'added' | 'removed' | 'files'): Set<string>;
}

/** A gate the test opens: `wait()` resolves once `open()` was called. */
export function createGate(): { wait(): Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait: () => opened, open };
}

/** Creates an empty log. */
export function createBatchLog(): BatchLog {
  const waiters = new Set<() => void>();
  const log: BatchLog = {
    batches: [],
    served: new Map(),
    errors: [],
    hold: undefined,
    beforeRead: undefined,
    async onBatch(batch) {
      const seen: SeenBatch = {
        changed: [...batch.changed],
        added: [...batch.added],
        removed: [...batch.removed],
        files: [...batch.files],
        read: new Map(),
      };
      await log.beforeRead?.(seen);
      for (const file of seen.files) {
        const content = await readFile(file, 'utf8').catch(() => null);
        seen.read.set(file, content);
        log.served.set(file, content);
      }
      log.batches.push(seen);
      for (const wake of waiters) wake();
      await log.hold?.(seen);
    },
    onError(err) {
      log.errors.push(err);
      for (const wake of waiters) wake();
    },
    until(condition, what, timeoutMs = 20_000) {
      if (condition()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          const seen = JSON.stringify(
            log.batches.map(({ read: _, ...rest }) => rest),
            null,
            1,
          );
          reject(new Error(`timed out waiting for ${what}; batches so far: ${seen}`));
        }, timeoutMs);
        function check(): void {
          if (!condition()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        }
        waiters.add(check);
      });
    },
    async quiet(ms = 400) {
      for (let tries = 0; tries < 20; tries++) {
        const count = log.batches.length;
        await new Promise((resolve) => setTimeout(resolve, ms));
        if (log.batches.length === count) return;
      }
      throw new Error('the watcher never went quiet');
    },
    all(kind) {
      const found = new Set<string>();
      for (const batch of log.batches) for (const file of batch[kind]) found.add(file);
      return found;
    },
  };
  return log;
}
