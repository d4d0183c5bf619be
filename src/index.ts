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
export type {
  PartResult,
  PauseOptions,
  PrepareContext,
  PreparedChange,
  Trigger,
  Unit,
  UnitKind,
  UnitOutcome,
  UnitStatus,
} from './units/unit.js';
