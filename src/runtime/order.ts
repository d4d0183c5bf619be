/**
 * Dependency order of units: every unit after the units it depends on, otherwise in the order
 * they were registered (so a reload is deterministic). A cycle is an `HS_ERR_UNIT_CYCLE` error
 * that names it (`a → b → c → a`); a dependency on an unregistered unit is `HS_ERR_UNIT_UNKNOWN`.
 */
import { HotswapError } from '../errors.js';
import type { Unit } from '../units/unit.js';

/** What ordering needs of a unit. */
export type OrderNode = Pick<Unit, 'name' | 'dependsOn'>;

/** Options of {@link orderUnits}. */
export interface OrderOptions {
  /** Skip dependencies that are not among `units` instead of failing (cycle checks at add). */
  ignoreUnknown?: boolean;
}

/**
 * Sorts `units` (given in registration order) so dependencies come first.
 * @throws HS_ERR_UNIT_CYCLE naming the cycle, HS_ERR_UNIT_UNKNOWN naming the missing dependency
 * @example
 * orderUnits([app, config]).map((u) => u.name); // ['config', 'app'] when app depends on config
 */
export function orderUnits<U extends OrderNode>(
  units: readonly U[],
  options: OrderOptions = {},
): U[] {
  const byName = new Map<string, U>();
  const rank = new Map<string, number>();
  for (const unit of units) {
    byName.set(unit.name, unit);
    rank.set(unit.name, rank.size);
  }
  const done = new Set<string>();
  const onPath = new Set<string>();
  const path: string[] = [];
  const ordered: U[] = [];

  const visit = (unit: U): void => {
    if (done.has(unit.name)) return;
    if (onPath.has(unit.name)) throw cycleError(path, unit.name, rank);
    onPath.add(unit.name);
    path.push(unit.name);
    for (const dep of unit.dependsOn) {
      const target = byName.get(dep);
      if (target === undefined) {
        if (options.ignoreUnknown) continue;
        throw new HotswapError(
          'HS_ERR_UNIT_UNKNOWN',
          `unit ${unit.name} depends on ${dep}, which is not registered`,
          { unit: unit.name, hint: `add ${dep} to the runtime, or remove it from dependsOn` },
        );
      }
      visit(target);
    }
    path.pop();
    onPath.delete(unit.name);
    done.add(unit.name);
    ordered.push(unit);
  };

  for (const unit of units) visit(unit);
  return ordered;
}

/**
 * Names of the units that depend on any of `names`, directly or through others (not `names`
 * themselves), in registration order.
 */
export function dependentsOf(units: readonly OrderNode[], names: Iterable<string>): string[] {
  const reached = new Set(names);
  const start = new Set(reached);
  let grew = true;
  while (grew) {
    grew = false;
    for (const unit of units) {
      if (reached.has(unit.name)) continue;
      if (unit.dependsOn.some((dep) => reached.has(dep))) {
        reached.add(unit.name);
        grew = true;
      }
    }
  }
  return units.map((u) => u.name).filter((name) => reached.has(name) && !start.has(name));
}

function cycleError(path: string[], again: string, rank: Map<string, number>): HotswapError {
  const loop = path.slice(path.indexOf(again));
  // Start the cycle at its earliest-registered unit, so the same cycle always reads the same.
  let first = 0;
  for (let i = 1; i < loop.length; i++) {
    if ((rank.get(loop[i] as string) ?? 0) < (rank.get(loop[first] as string) ?? 0)) first = i;
  }
  const rotated = [...loop.slice(first), ...loop.slice(0, first)];
  const text = [...rotated, rotated[0]].join(' → ');
  return new HotswapError('HS_ERR_UNIT_CYCLE', `units depend on each other in a cycle: ${text}`, {
    unit: rotated[0],
    hint: 'break the cycle: move what both need into a unit of its own',
  });
}
