/**
 * The one catalogue of hotswap errors. Every error hotswap raises or reports carries a stable
 * `code` from here; `docs/errors.md` explains each one (a test fails when a code is missing there).
 *
 * Check errors with {@link isHotswapError}, never `instanceof`: a reloaded module is a new class,
 * and a copy of hotswap bundled twice has two `HotswapError` classes.
 */

/** Error codes and the one-line meaning shown in docs and reports. */
export const errorCodes = {
  // layer 1: loader
  HS_ERR_LOADER_SYNTAX: 'a module has a syntax error',
  HS_ERR_LOADER_RESOLVE: 'an import specifier does not resolve to a file or package',
  HS_ERR_LOADER_LINK: 'a module imports a name that the imported module does not export',
  HS_ERR_LOADER_EVALUATE: 'a module body threw, or its top-level await rejected',
  HS_ERR_LOADER_UNSUPPORTED: 'a file type the loader cannot evaluate',
  HS_ERR_LOADER_DECLINED: 'a module declined hot updates (`import.meta.hot.decline()`)',
  HS_ERR_LOADER_NO_BOUNDARY:
    'a change reached a module that nothing accepts: a restart is required',
  HS_ERR_LOADER_HOOK: 'an `import.meta.hot` callback (accept, dispose, prune) threw',
  // layer 2: units
  HS_ERR_UNIT_DUPLICATE: 'a unit with this name is already registered',
  HS_ERR_UNIT_UNKNOWN: 'no unit with this name is registered',
  HS_ERR_UNIT_CYCLE: 'units depend on each other in a cycle',
  HS_ERR_UNIT_PREPARE: 'preparing the new version of a unit failed',
  HS_ERR_UNIT_COMMIT: 'committing the new version of a unit failed',
  HS_ERR_UNIT_VERIFY: 'the check after commit failed, so the reload was rolled back',
  HS_ERR_UNIT_MIGRATE: "a unit's migrate step threw; the old version and its state stay",
  HS_ERR_UNIT_ROLLBACK: 'there is no earlier version to roll back to',
  HS_ERR_WORKER_PAUSE_TIMEOUT:
    'a worker did not reach a safe point in time, so the reload was aborted',
  HS_ERR_WORKER_DIED: 'a worker stopped with an error',
  HS_ERR_LEASE_TIMEOUT: 'in-flight work did not finish before the drain timeout',
  HS_ERR_DRAINING: 'the process is draining and refuses new work',
  HS_ERR_RELOAD_ABORTED: 'the reload was aborted before commit; nothing changed',
  HS_ERR_UNIT_IN_USE: 'other units depend on this unit, so it cannot be removed',
  HS_ERR_UNIT_NOT_READY: 'the unit has no live version yet: no reload has loaded it',
  HS_ERR_UNIT_UNDO:
    'undoing a committed change failed; the unit may be half updated, so a restart is advised',
  HS_ERR_RUNTIME_CLOSED: 'the runtime is closed and takes no more requests',
  // configuration
  HS_ERR_CONFIG_READ: 'a configuration file could not be read',
  HS_ERR_CONFIG_PARSE: 'a configuration file could not be parsed',
  HS_ERR_CONFIG_INVALID: 'the merged configuration does not match its schema',
  HS_ERR_CONFIG_OVERRIDE: 'an override is malformed or does not fit the schema',
  HS_ERR_CONFIG_NOT_LOADED: 'the configuration was read before its first load',
  // commands
  HS_ERR_COMMAND_SHAPE: 'a command module does not export the expected shape',
  HS_ERR_COMMAND_CONFLICT:
    'two command modules clash (same bind, or names that differ only by case)',
  HS_ERR_COMMAND_UNKNOWN: 'no command has this name or bind',
  HS_ERR_COMMAND_FOLDER: 'a command folder does not exist or is not a folder',
  // services
  HS_ERR_SERVICE_CREATE: 'creating a new service instance failed',
  HS_ERR_SERVICE_START: 'starting a new service instance failed',
  HS_ERR_SERVICE_HEALTH: 'the health check of a new service instance failed',
  HS_ERR_SERVICE_CLOSE: 'closing an old service instance failed',
  // layer 4: triggers
  HS_ERR_TRIGGER_DENIED: 'the requester is not allowed to trigger this',
  HS_ERR_CONTROL_REQUEST: 'a control request is malformed or unknown',
  HS_ERR_CONTROL_UNREACHABLE: 'the running process could not be reached',
  HS_ERR_CONTROL_LISTEN:
    'an operator server could not start (name taken by a live process, unsafe folder, no token)',
  HS_ERR_SYSTEMD_NOTIFY: 'a notification to systemd (sd_notify) could not be sent',
  HS_ERR_WATCHER_FAILED: 'the file watcher could not watch or read a path',
  // layer 5: cli
  HS_ERR_CLI_USAGE: 'the command line is malformed',
} as const;

/** A stable error code. */
export type HotswapErrorCode = keyof typeof errorCodes;

/** A position in a source file, 1-based line and column, always in the original (.ts) file. */
export interface SourceLocation {
  /** Absolute path of the file. */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
}

/** Extra facts attached to a {@link HotswapError}. */
export interface HotswapErrorDetails {
  /** The unit the error belongs to. */
  unit?: string;
  /** Where in the user's source the error is. */
  location?: SourceLocation;
  /** A code frame around {@link location}, ready to print. */
  frame?: string;
  /** The user's own error, when there is one. */
  cause?: unknown;
  /** A short suggestion of what to do next. */
  hint?: string;
}

const kHotswapError = Symbol.for('hotswap.error');

/** The one error class of hotswap. See {@link errorCodes} for the codes. */
export class HotswapError extends Error {
  readonly code: HotswapErrorCode;
  readonly unit: string | undefined;
  readonly location: SourceLocation | undefined;
  readonly frame: string | undefined;
  readonly hint: string | undefined;
  /** Process exit code, set by CLI errors only. */
  exitCode?: number;

  constructor(code: HotswapErrorCode, message: string, details: HotswapErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'HotswapError';
    this.code = code;
    this.unit = details.unit;
    this.location = details.location;
    this.frame = details.frame;
    this.hint = details.hint;
    Object.defineProperty(this, kHotswapError, { value: true });
    // Format the stack now: until then V8 keeps the call sites, and with them every receiver on
    // the stack (an update, a staging, old module versions) for as long as the error is kept.
    void this.stack;
  }

  /** `file:line:column` of the error, or undefined. */
  get where(): string | undefined {
    const l = this.location;
    return l ? `${l.file}:${l.line}:${l.column}` : undefined;
  }

  /** Plain data for reports, the control socket and the dashboard. */
  toJSON(): SerializedError {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      unit: this.unit,
      location: this.location,
      frame: this.frame,
      hint: this.hint,
      stack: this.stack,
      cause: this.cause === undefined ? undefined : serializeError(this.cause),
    };
  }
}

/** The JSON form of an error in reports and on the wire. */
export interface SerializedError {
  name: string;
  code?: string;
  message: string;
  unit?: string | undefined;
  location?: SourceLocation | undefined;
  frame?: string | undefined;
  hint?: string | undefined;
  stack?: string | undefined;
  cause?: SerializedError | undefined;
}

/**
 * True when `err` is a hotswap error, and when `code` is given, one with that code.
 * @example
 * if (isHotswapError(err, 'HS_ERR_LOADER_SYNTAX')) console.error(err.frame);
 */
export function isHotswapError(err: unknown, code?: HotswapErrorCode): err is HotswapError {
  if (typeof err !== 'object' || err === null) return false;
  if ((err as Record<symbol, unknown>)[kHotswapError] !== true) return false;
  return code === undefined || (err as HotswapError).code === code;
}

/** Turns any thrown value into plain JSON data, keeping code, location and cause. */
export function serializeError(err: unknown, depth = 0): SerializedError {
  if (isHotswapError(err)) return err.toJSON();
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return {
      name: err.name,
      code: typeof code === 'string' ? code : undefined,
      message: err.message,
      stack: err.stack,
      cause:
        err.cause === undefined || depth > 4 ? undefined : serializeError(err.cause, depth + 1),
    };
  }
  return { name: 'Error', message: typeof err === 'string' ? err : safeString(err) };
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** The message of any thrown value, on one line (reports show one bullet per failure). */
export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : safeString(err);
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
