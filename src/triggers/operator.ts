/**
 * The operator surface in one call: control socket (for the `hotswap` CLI), signals, systemd
 * notifications, dashboard, Prometheus metrics and, when asked, HTTP control. Each part is a
 * trigger of its own; this starts the ones chosen, in order, and stops them in reverse order.
 */
import type { Runtime } from '../runtime/runtime.js';
import {
  type ControlSocket,
  type ControlSocketOptions,
  serveControlSocket,
} from './control-socket.js';
import { type Dashboard, type DashboardOptions, serveDashboard } from './dashboard/dashboard.js';
import {
  createOperatorMetrics,
  type OperatorMetrics,
  type OperatorMetricsOptions,
} from './metrics.js';
import { type HttpControl, type HttpControlOptions, serveHttpControl } from './operator-http.js';
import { installOperatorSignals, type OperatorSignalOptions } from './operator-signals.js';
import {
  installSystemdNotify,
  type SdNotifier,
  type SystemdNotifyOptions,
} from './systemd-notify.js';

/** Options of {@link serveOperator}. */
export interface OperatorOptions {
  /** The process name for the socket, `hotswap --name` and logs. @default the runtime's name */
  name?: string;
  /** The control socket: `true`, its options, or `false`. @default true */
  socket?: boolean | Omit<ControlSocketOptions, 'name'>;
  /** The dashboard (loopback, token in the printed URL): `true`, its options, or `false`. @default false */
  dashboard?:
    | boolean
    | (Omit<DashboardOptions, 'metrics'> & { metrics?: { public?: boolean } | boolean });
  /** SIGHUP → rehash, SIGUSR2 → reload: `true`, which signal does what, or `false`. @default true */
  signals?: boolean | Omit<OperatorSignalOptions, 'target'>;
  /**
   * systemd notifications (`READY=1`, `RELOADING=1`, `STOPPING=1`): `'auto'` sends them when
   * `$NOTIFY_SOCKET` is set, `false` never. @default 'auto'
   */
  systemd?: 'auto' | boolean | SystemdNotifyOptions;
  /** Prometheus metrics (served by the dashboard at `/metrics`): `true`, options, or `false`. @default true */
  metrics?: boolean | OperatorMetricsOptions;
  /** HTTP control on loopback with a bearer token; off unless given. @default false */
  http?: HttpControlOptions | false;
}

/** The running operator surface. Create with {@link serveOperator}. */
export interface Operator {
  /** The control socket, when on. */
  readonly socket: ControlSocket | undefined;
  /** The dashboard, when on. */
  readonly dashboard: Dashboard | undefined;
  /** The HTTP control, when on. */
  readonly http: HttpControl | undefined;
  /** The metrics, when on (serve `metrics.metrics()` from an app's own server, too). */
  readonly metrics: OperatorMetrics | undefined;
  /** The systemd notifier, when on. */
  readonly systemd: SdNotifier | undefined;
  /** Stops every part in reverse order (systemd hears `STOPPING=1` first). */
  close(): Promise<void>;
}

const optionsOf = <T extends object>(value: boolean | T | undefined): T | undefined =>
  typeof value === 'object' ? value : undefined;

/**
 * Starts the operator surface of `runtime`. When a part cannot start, the parts already started
 * are stopped and the error (`HS_ERR_CONTROL_LISTEN`) is thrown.
 * @example
 * import { createRuntime } from 'hotswap';
 * import { serveOperator } from 'hotswap/operator';
 *
 * const runtime = createRuntime({ name: 'bot' });
 * await runtime.reload();
 * const operator = await serveOperator(runtime, { dashboard: true });
 * // $ hotswap status --name bot     $ kill -HUP <pid>     open the printed dashboard URL
 * process.once('SIGTERM', () => operator.close().then(() => runtime.close()));
 */
export async function serveOperator(
  runtime: Runtime,
  options: OperatorOptions = {},
): Promise<Operator> {
  const name = options.name ?? runtime.name;
  const stops: (() => Promise<void> | void)[] = [];
  const parts: {
    socket?: ControlSocket;
    dashboard?: Dashboard;
    http?: HttpControl;
    metrics?: OperatorMetrics;
    systemd?: SdNotifier;
  } = {};
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (err) {
        runtime.log.error({ err }, 'stopping a part of the operator surface failed');
      }
    }
  };
  try {
    if (options.metrics !== false) {
      const metrics = createOperatorMetrics(runtime, optionsOf(options.metrics));
      parts.metrics = metrics;
      stops.push(() => metrics.close());
    }
    if (options.socket !== false) {
      const socket = await serveControlSocket(runtime, { ...optionsOf(options.socket), name });
      parts.socket = socket;
      stops.push(() => socket.close());
    }
    if (options.http) {
      const http = await serveHttpControl(runtime, options.http);
      parts.http = http;
      stops.push(() => http.close());
    }
    if (options.dashboard) {
      const own = optionsOf(options.dashboard) ?? {};
      const publicMetrics = typeof own.metrics === 'object' && own.metrics.public === true;
      const dashboard = await serveDashboard(runtime, {
        ...own,
        metrics:
          parts.metrics && own.metrics !== false
            ? { metrics: parts.metrics, public: publicMetrics }
            : false,
      });
      parts.dashboard = dashboard;
      stops.push(() => dashboard.close());
    }
    if (options.signals !== false) {
      const dispose = installOperatorSignals(runtime, optionsOf(options.signals));
      stops.push(() => dispose());
    }
    const systemd = options.systemd ?? 'auto';
    if (systemd !== false) {
      const stop = installSystemdNotify(runtime, systemd === 'auto' ? {} : optionsOf(systemd));
      if (stop.notifier.enabled) parts.systemd = stop.notifier;
      stops.push(() => stop({ stopping: true }));
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    socket: parts.socket,
    dashboard: parts.dashboard,
    http: parts.http,
    metrics: parts.metrics,
    systemd: parts.systemd,
    close() {
      closing ??= stopAll();
      return closing;
    },
  };
}
