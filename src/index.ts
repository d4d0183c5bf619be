/**
 * hotswap: swap code, commands, configuration and services inside a running Node.js process.
 *
 * Every public export is listed here by name.
 */

export type {
  HotswapErrorCode,
  HotswapErrorDetails,
  SerializedError,
  SourceLocation,
} from './errors.js';
export { errorCodes, HotswapError, isHotswapError, serializeError } from './errors.js';
// loader (layer 1)
export type {
  HotContext,
  HotEventPayloads,
  HotPayload,
  HotUpdate,
  ModuleNamespace,
} from './loader/hot-types.js';
export type { Loader, LoaderOptions, UpdateFailure, UpdateOptions } from './loader/loader.js';
export { createLoader } from './loader/loader.js';
export type { Boundary } from './loader/propagate.js';
export type { LoaderUpdate, UpdateOutcome } from './loader/update.js';
// runtime (layer 3) and the units it ships (layer 2)
export type { DrainOptions, DrainResult, LeaseTimeout } from './runtime/drain.js';
export type {
  RuntimeEventName,
  RuntimeEvents,
  RuntimeListener,
} from './runtime/events.js';
export { runtimeChannelName, runtimeEventNames } from './runtime/events.js';
export type { History } from './runtime/history.js';
export { createHistory } from './runtime/history.js';
export type { LoggerOption } from './runtime/logger.js';
export { orderUnits } from './runtime/order.js';
export type {
  PhaseTimings,
  ReloadKind,
  ReloadPhase,
  ReloadReport,
  ReportFailure,
  UnitReport,
} from './runtime/report.js';
export { formatReport, locateError, reportFailures } from './runtime/report.js';
export type {
  CloseResult,
  ReloadOptions,
  RollbackOptions,
  Runtime,
  RuntimeOptions,
} from './runtime/runtime.js';
export { createRuntime } from './runtime/runtime.js';
export type {
  RuntimeErrorState,
  RuntimeStatus,
  UnitStatusEntry,
  WorkerStatusEntry,
} from './runtime/status.js';
export type {
  DisposableLike,
  EmitterLike,
  EventTargetLike,
  Scope,
  ScopeDisposeResult,
} from './scope.js';
export { createScope } from './scope.js';
export type {
  SignalHandler,
  SignalRun,
  SignalTriggerOptions,
  SignalTriggersDisposer,
} from './triggers/signals.js';
export { installSignalTriggers } from './triggers/signals.js';
export type { CodeUnit, CodeUnitOptions } from './units/code.js';
export { createCodeUnit } from './units/code.js';
export type {
  Command,
  CommandDefinition,
  CommandFailure,
  CommandOverrides,
  CommandTable,
  CommandTableOptions,
  CommandTableUnit,
} from './units/commands.js';
export { commandTable, createCommandTable, defineCommand } from './units/commands.js';
export type {
  Config,
  ConfigChangeEvent,
  ConfigChangeView,
  ConfigFileSpec,
  ConfigFormat,
  ConfigInfo,
  ConfigIssue,
  ConfigIssuesError,
  ConfigListener,
  ConfigOptions,
  ConfigPreparedChange,
  ConfigReloadOptions,
  ConfigReport,
  ConfigTarget,
  ConfigValue,
  DeepReadonly,
  KeyChange,
  KeyPath,
  KeyPathValue,
  SnapshotInfo,
} from './units/config/index.js';
export {
  configIssues,
  configTarget,
  createConfig,
  defaultSecretPattern,
  parseOverrideArg,
  REDACTED,
} from './units/config/index.js';
export { defineUnit } from './units/define-unit.js';
export type {
  Handle,
  HandleOptions,
  Lease,
  LeaseStraggler,
  MethodKeys,
  Version,
  VersionState,
} from './units/handle.js';
export { createHandle } from './units/handle.js';
export type { HotClassOptions } from './units/hot-class.js';
export { handleOf, hot } from './units/hot-class.js';
export type {
  CarryStateOptions,
  HotState,
  Migrate,
  MigrateDirection,
  MigrateInfo,
  StateAccess,
} from './units/hot-state.js';
export { captureState, carryState, migrateState, restoreState } from './units/hot-state.js';
export type {
  Delegates,
  HotUnit,
  HotUnitOptions,
  UnitRegistry,
  VersionContext,
  VersionSource,
} from './units/hot-unit.js';
export { createHotUnit, registerHotUnit } from './units/hot-unit.js';
export type { ModuleExports, ModuleUnitOptions } from './units/module.js';
export { createModuleUnit, hotModule } from './units/module.js';
export type {
  ServiceCloseInfo,
  ServiceCloseReason,
  ServiceConfigChange,
  ServiceConfigSource,
  ServiceContext,
  ServiceHandle,
  ServiceOptions,
  ServiceRegistry,
  ServiceRuntime,
  ServiceState,
  ServiceStep,
  ServiceStraggler,
  ServiceSwapInfo,
  ServiceTimeouts,
  ServiceUnit,
  SwapListener,
} from './units/service.js';
export { createService, registerService } from './units/service.js';
export type {
  PartResult,
  PauseOptions,
  PrepareContext,
  PreparedChange,
  Trigger,
  Unit,
  UnitHost,
  UnitKind,
  UnitNotice,
  UnitOutcome,
  UnitStatus,
} from './units/unit.js';
export type { ThreadContext, WorkerControl } from './units/worker-thread.js';
export { isWorkerControl, workerControlKey, workerThreadContext } from './units/worker-thread.js';
export type {
  IntervalWorkerOptions,
  LoopWorkerOptions,
  RestartPolicy,
  ThreadWorkerOptions,
  WorkerCommonOptions,
  WorkerContext,
  WorkerState,
  WorkerUnit,
  WorkerUnitOptions,
} from './units/workers.js';
export { createWorker } from './units/workers.js';
