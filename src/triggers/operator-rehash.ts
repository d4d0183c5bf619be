/**
 * Rehash: reload the configuration only. Every unit of kind `config` is reloaded as one runtime
 * transaction (units that depend on a config come too), so it is recorded in the history, the
 * events, the dashboard and the metrics like any reload. It is what SIGHUP and `hotswap rehash`
 * do, after the Unix convention of SIGHUP re-reading configuration.
 */
import type { ReloadReport } from '../runtime/report.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Trigger } from '../units/unit.js';

/**
 * Names of the runtime's config units, in registration order.
 * @example
 * configUnitNames(runtime); // ['config']
 */
export function configUnitNames(runtime: Runtime): string[] {
  return runtime
    .units()
    .filter((unit) => unit.kind === 'config')
    .map((unit) => unit.name);
}

/**
 * Reloads every config unit of `runtime` (and their dependents) as one transaction. With no
 * config unit, the report lists no units.
 * @example
 * const report = await rehash(runtime, { kind: 'signal', by: 'SIGHUP' });
 * console.log(report.summary);
 */
export function rehash(
  runtime: Runtime,
  trigger: Trigger = { kind: 'api' },
): Promise<ReloadReport> {
  return runtime.reload({ units: configUnitNames(runtime), trigger });
}
