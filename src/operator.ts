/**
 * `hotswap/operator`: the operator surface of a running process, kept out of the core entry
 * (it loads HTTP servers and sockets): control socket and its client, signals, systemd
 * notifications, dashboard, Prometheus metrics, HTTP control, and `serveOperator` for all of it.
 *
 * Every public export is listed here by name.
 */

export type { ControlSocket, ControlSocketOptions } from './triggers/control-socket.js';
export { serveControlSocket } from './triggers/control-socket.js';
export type {
  ControlClient,
  ControlRequestInput,
  ControlTarget,
} from './triggers/control-socket-client.js';
export { connectControlSocket, findControlSocket } from './triggers/control-socket-client.js';
export type {
  ControlOp,
  ControlReply,
  ControlRequest,
} from './triggers/control-socket-protocol.js';
export { controlOps, controlProtocol, readOnlyOps } from './triggers/control-socket-protocol.js';
export type { Dashboard, DashboardOptions } from './triggers/dashboard/dashboard.js';
export { serveDashboard } from './triggers/dashboard/dashboard.js';
export type { OperatorMetrics, OperatorMetricsOptions } from './triggers/metrics.js';
export { createOperatorMetrics, reloadOutcome } from './triggers/metrics.js';
export type { Operator, OperatorOptions } from './triggers/operator.js';
export { serveOperator } from './triggers/operator.js';
export type { HttpControl, HttpControlOptions } from './triggers/operator-http.js';
export { serveHttpControl } from './triggers/operator-http.js';
export { configUnitNames, rehash } from './triggers/operator-rehash.js';
export type { OperatorSignalAction, OperatorSignalOptions } from './triggers/operator-signals.js';
export { installOperatorSignals } from './triggers/operator-signals.js';
export type {
  SdNotifier,
  SdNotifyOptions,
  SdNotifyTransport,
  SystemdNotifyDisposer,
  SystemdNotifyOptions,
} from './triggers/systemd-notify.js';
export {
  createSdNotifier,
  installSystemdNotify,
  monotonicMicros,
} from './triggers/systemd-notify.js';
