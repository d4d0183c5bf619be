/**
 * Structured logging with pino. Each report is logged whole (as `report`, with its human summary
 * as the message) at `info` when it succeeded and `error` when it failed; every runtime event is
 * logged too, each kind in its own words (a `never` check keeps the list complete).
 */
import pino, { type Logger, type LoggerOptions } from 'pino';
import type { EventBus, RuntimeEventName, RuntimeEvents } from './events.js';
import { runtimeEventNames } from './events.js';
import type { ReloadReport } from './report.js';

/** A pino logger, pino options, or `false` for silence. */
export type LoggerOption = Logger | LoggerOptions | false;

/**
 * The runtime's logger: the one given, a silent one for `false`, else pino writing JSON lines
 * to stderr at the level named by `HOTSWAP_LOG_LEVEL`.
 * @default level `info`
 */
export function createLogger(option: LoggerOption | undefined, name: string): Logger {
  // A stream of our own: pino's default destination would hook process exit for good.
  if (option === false) return pino({ level: 'silent' }, { write() {} });
  if (option !== undefined && isLogger(option)) return option.child({ runtime: name });
  const options: LoggerOptions = {
    level: process.env.HOTSWAP_LOG_LEVEL ?? 'info',
    ...(option ?? {}),
  };
  // Synchronous stderr: no worker thread, no handle left open, nothing lost on exit.
  return pino(options, pino.destination({ fd: 2, sync: true })).child({ runtime: name });
}

function isLogger(value: LoggerOption): value is Logger {
  return (
    typeof (value as Logger).child === 'function' && typeof (value as Logger).info === 'function'
  );
}

/** Logs a report: the summary as message, the report as data. */
export function logReport(log: Logger, report: ReloadReport): void {
  if (report.ok) log.info({ report }, report.summary);
  else log.error({ report }, report.summary);
}

/** Logs every runtime event except `reload-end` (logged by {@link logReport}). */
export function logEvents(bus: EventBus, log: Logger): () => void {
  const offs = runtimeEventNames.map((event) =>
    bus.on(event, (payload) => logEvent(log, event, payload)),
  );
  return () => {
    for (const off of offs) off();
  };
}

function logEvent<E extends RuntimeEventName>(
  log: Logger,
  event: E,
  payload: RuntimeEvents[E],
): void {
  const e = { event, ...payload } as {
    [K in RuntimeEventName]: { event: K } & RuntimeEvents[K];
  }[RuntimeEventName];
  switch (e.event) {
    case 'reload-start':
      log.debug(
        { id: e.id, kind: e.kind, trigger: e.trigger, units: e.units },
        `${e.kind} #${e.id} started`,
      );
      return;
    case 'reload-end':
      return;
    case 'unit-failed':
      log.warn(
        { reloadId: e.reloadId, unit: e.unit, phase: e.phase, err: e.error },
        `${e.unit}: ${e.phase} failed`,
      );
      return;
    case 'unit-added':
    case 'unit-removed':
      log.debug(
        { unit: e.unit, kind: e.kind },
        `${e.event === 'unit-added' ? 'added' : 'removed'} unit ${e.unit}`,
      );
      return;
    case 'worker-died':
      log.error(
        { unit: e.unit, err: e.error, restarts: e.restarts, restart: e.restart, delay: e.delay },
        e.restart
          ? `worker ${e.unit} died; restart in ${e.delay} ms`
          : `worker ${e.unit} died and stays dead`,
      );
      return;
    case 'worker-restarted':
      log.info({ unit: e.unit, restarts: e.restarts }, `worker ${e.unit} restarted`);
      return;
    case 'version-disposed':
      if (e.errors.length > 0) {
        log.error(
          { unit: e.unit, generation: e.generation, errors: e.errors },
          `${e.unit}: generation ${e.generation} did not end cleanly`,
        );
      } else {
        log.debug(
          { unit: e.unit, generation: e.generation, forced: e.forced },
          `${e.unit}: generation ${e.generation} disposed`,
        );
      }
      return;
    case 'drain-changed':
      log.info(
        { draining: e.draining, reason: e.reason },
        e.draining ? 'draining' : 'no longer draining',
      );
      return;
    case 'lease-timeout':
      log.warn(
        { unit: e.unit, generation: e.generation, leases: e.leases, err: e.error },
        e.error.message,
      );
      return;
    default: {
      const unhandled: never = e;
      log.warn({ event: unhandled }, 'unknown runtime event');
    }
  }
}
