/**
 * Shared pieces of the runtime suites: a custom unit written with the public API (no mocks of
 * the runtime), a journal of what the runtime asked of it, event waiting, and a guard that fails
 * the suite on any unhandled rejection.
 */
import { afterAll, expect } from 'vitest';
import {
  defineUnit,
  type PreparedChange,
  type Runtime,
  type RuntimeEventName,
  type RuntimeEvents,
  type Unit,
} from '../../src/index.js';

/** Fails the suite when any promise rejection goes unhandled while it runs. */
export function guardUnhandled(): void {
  const escaped: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    escaped.push(reason);
  };
  process.on('unhandledRejection', onRejection);
  afterAll(() => {
    process.off('unhandledRejection', onRejection);
    expect(escaped).toEqual([]);
  });
}

/** A promise with its resolve function exposed. */
export interface Gate<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

/** Creates a {@link Gate}. */
export function gate<T = void>(): Gate<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves the next `event` whose payload matches `match`. */
export function nextEvent<E extends RuntimeEventName>(
  runtime: Runtime,
  event: E,
  match: (payload: RuntimeEvents[E]) => boolean = () => true,
): Promise<RuntimeEvents[E]> {
  return new Promise((resolve) => {
    const off = runtime.on(event, (payload) => {
      if (!match(payload)) return;
      off();
      resolve(payload);
    });
  });
}

/** Lets the event loop turn `n` times (macrotasks), without any timer. */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}

/** What makes a {@link counterUnit} fail, per phase. Set fields to make the next reload fail. */
export interface Faults {
  prepare?: () => Error;
  commit?: () => Error;
  verify?: () => Error;
  rollback?: () => Error;
  /** Per-part results to return from prepare. */
  parts?: PreparedChange['parts'];
  /** Runs inside commit (to observe workers, ask for reloads...). */
  onCommit?: () => void | Promise<void>;
  /** Held before prepare returns. */
  holdPrepare?: Promise<void>;
}

/** A unit whose live value is a counter, and the faults to inject into it. */
export interface CounterUnit {
  unit: Unit;
  /** The live value: 0 before the first commit, +1 per commit. */
  readonly live: number;
  faults: Faults;
}

/**
 * A custom unit written with `defineUnit`: each reload prepares `live + 1`; every call the
 * runtime makes is appended to `journal` as `<phase> <name>`.
 */
export function counterUnit(
  name: string,
  journal: string[],
  options: { dependsOn?: string[]; unchanged?: () => boolean } = {},
): CounterUnit {
  let live = 0;
  let generation = 0;
  const faults: Faults = {};
  const unit = defineUnit({
    name,
    kind: 'custom',
    dependsOn: options.dependsOn ?? [],
    get generation() {
      return generation;
    },
    async prepare(): Promise<PreparedChange | undefined> {
      journal.push(`prepare ${name}`);
      if (faults.holdPrepare) await faults.holdPrepare;
      if (faults.prepare) throw faults.prepare();
      if (options.unchanged?.()) return undefined;
      const next = live + 1;
      const before = { live, generation };
      return {
        outcome: generation === 0 ? 'added' : 'refreshed',
        summary: `v${next}`,
        ...(faults.parts ? { parts: faults.parts } : {}),
        async commit() {
          journal.push(`commit ${name}`);
          await faults.onCommit?.();
          if (faults.commit) throw faults.commit();
          live = next;
          generation++;
        },
        rollback() {
          journal.push(`rollback ${name}`);
          if (faults.rollback) throw faults.rollback();
          live = before.live;
          generation = before.generation;
        },
        discard() {
          journal.push(`discard ${name}`);
        },
        verify() {
          journal.push(`verify ${name}`);
          if (faults.verify) throw faults.verify();
        },
        finalize() {
          journal.push(`finalize ${name}`);
        },
      };
    },
    status() {
      return { name, kind: 'custom', generation, state: 'active', details: { live } };
    },
  });
  return {
    unit,
    get live() {
      return live;
    },
    faults,
  };
}
