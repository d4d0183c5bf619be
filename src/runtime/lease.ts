/**
 * Leases across a runtime's units: `runtime.lease(name)` pins in-flight work to the unit's live
 * version through the unit's handle; a unit without a handle still gets counted leases (with no
 * version to pin), so drain waits for its in-flight work too.
 */
import type { Lease, LeaseStraggler } from '../units/handle.js';
import type { Unit } from '../units/unit.js';

/** Counted leases of a unit that has no handle. */
class Counted {
  readonly name: string;
  leases = 0;
  readonly #waiters = new Set<() => void>();

  constructor(name: string) {
    this.name = name;
  }

  lease(generation: number): Lease<undefined> {
    this.leases++;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.leases--;
      if (this.leases === 0) for (const wake of [...this.#waiters]) wake();
    };
    return {
      unit: this.name,
      current: undefined,
      generation,
      get released() {
        return released;
      },
      release,
      [Symbol.dispose]: release,
    };
  }

  async settle(signal: AbortSignal | undefined, generation: number): Promise<LeaseStraggler[]> {
    if (this.leases > 0 && signal?.aborted !== true) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.#waiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        this.#waiters.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
    if (this.leases === 0) return [];
    return [{ unit: this.name, generation, leases: this.leases, live: true, disposed: false }];
  }
}

/** Leases of every unit of one runtime. Create with {@link createLeaseRegistry}. */
export interface LeaseRegistry {
  /** Pins in-flight work to `unit`'s live version. */
  lease<T>(unit: Unit): Lease<T>;
  /** Leases in flight on `unit`. */
  count(unit: Unit): number;
  /** Waits until no lease is in flight on any of `units`, or `signal` aborts (stragglers). */
  settle(units: readonly Unit[], signal?: AbortSignal): Promise<LeaseStraggler[]>;
  /** Disposes the replaced versions of `units` that are still leased; returns them. */
  evict(units: readonly Unit[]): Promise<LeaseStraggler[]>;
  /** Drops the bookkeeping of a removed unit. */
  forget(unit: Unit): void;
}

/**
 * Creates the lease registry of a runtime.
 * @example
 * const leases = createLeaseRegistry();
 * const lease = leases.lease(unit);
 * try { await work(lease.current); } finally { lease.release(); }
 */
export function createLeaseRegistry(): LeaseRegistry {
  const counted = new Map<string, Counted>();
  const countedOf = (unit: Unit): Counted => {
    let entry = counted.get(unit.name);
    if (entry === undefined) {
      entry = new Counted(unit.name);
      counted.set(unit.name, entry);
    }
    return entry;
  };
  return {
    lease<T>(unit: Unit): Lease<T> {
      if (unit.handle) return unit.handle.lease() as Lease<T>;
      return countedOf(unit).lease(unit.generation) as Lease<unknown> as Lease<T>;
    },
    count(unit) {
      return (unit.handle?.leases ?? 0) + (counted.get(unit.name)?.leases ?? 0);
    },
    async settle(units, signal) {
      const all = await Promise.all(
        units.flatMap((unit) => {
          const waits: Promise<LeaseStraggler[]>[] = [];
          if (unit.handle) waits.push(unit.handle.settle(signal));
          const entry = counted.get(unit.name);
          if (entry) waits.push(entry.settle(signal, unit.generation));
          return waits;
        }),
      );
      return all.flat();
    },
    async evict(units) {
      const all = await Promise.all(units.map((unit) => unit.handle?.evict() ?? []));
      return all.flat();
    },
    forget(unit) {
      counted.delete(unit.name);
    },
  };
}
