/**
 * The operator's signals: SIGHUP rehashes (reloads the configuration, the Unix convention and
 * what `systemctl reload` sends under `Type=notify-reload`), SIGUSR2 reloads everything. Built
 * on `installSignalTriggers`, so signals that arrive during a run coalesce into one follow-up.
 * Each run is logged with its report: info when it succeeded, error when it failed.
 */
import type { ReloadReport } from '../runtime/report.js';
import type { Runtime } from '../runtime/runtime.js';
import type { EmitterLike } from '../scope.js';
import { rehash } from './operator-rehash.js';
import { installSignalTriggers, type SignalTriggersDisposer } from './signals.js';

/** What a signal does: `rehash` (config units), `reload` (every unit), or nothing. */
export type OperatorSignalAction = 'rehash' | 'reload' | false;

/** Options of {@link installOperatorSignals}. */
export interface OperatorSignalOptions {
  /** @default 'rehash' */
  SIGHUP?: OperatorSignalAction;
  /** @default 'reload' */
  SIGUSR2?: OperatorSignalAction;
  /** Where signals are listened for (tests pass an emitter). @default process */
  target?: EmitterLike;
}

/**
 * Listens for SIGHUP and SIGUSR2 and turns them into runtime transactions, logged with their
 * report through `runtime.log`. Returns a disposer that restores the signals' default actions.
 * @example
 * const dispose = installOperatorSignals(runtime); // kill -HUP <pid>: rehash
 * await dispose();
 */
export function installOperatorSignals(
  runtime: Runtime,
  options: OperatorSignalOptions = {},
): SignalTriggersDisposer {
  const log = runtime.log.child({ trigger: 'signal' });
  const actions: [NodeJS.Signals, OperatorSignalAction][] = [
    ['SIGHUP', options.SIGHUP ?? 'rehash'],
    ['SIGUSR2', options.SIGUSR2 ?? 'reload'],
  ];
  const handlers: Partial<Record<NodeJS.Signals, () => Promise<void>>> = {};
  for (const [signal, action] of actions) {
    if (action === false) continue;
    handlers[signal] = async () => {
      const trigger = { kind: 'signal', by: signal };
      const report: ReloadReport =
        action === 'rehash' ? await rehash(runtime, trigger) : await runtime.reload({ trigger });
      const line = `${signal} → ${action}: ${report.summary}`;
      const data = { signal, action, reloadId: report.id, ok: report.ok, report };
      if (report.ok) log.info(data, line);
      else log.error(data, line);
    };
  }
  return installSignalTriggers(handlers, {
    ...(options.target ? { target: options.target } : {}),
    onError: (err, signal) => log.error({ err, signal }, `${signal}: the reload could not start`),
  });
}
