/**
 * What each control operation does to a runtime: the one place the control socket, the HTTP
 * control and the dashboard buttons turn a validated request into runtime calls. Every change
 * goes through the runtime's public API (`reload`, `rollback`, `drain`), or a config unit's
 * own API for the `config.*` operations, with the requester as the trigger.
 */
import { readFileSync } from 'node:fs';
import { HotswapError } from '../errors.js';
import type { Runtime } from '../runtime/runtime.js';
import { type Config, configTarget } from '../units/config/index.js';
import type { Trigger } from '../units/unit.js';
import { type ControlOp, type ControlRequest, controlProtocol } from './control-socket-protocol.js';
import { rehash } from './operator-rehash.js';

/** Who a request comes from, as the server that received it knows. */
export interface ControlContext {
  /** The trigger kind: `control` (socket, HTTP) or `dashboard`. */
  kind: Trigger['kind'];
  /** Who asked, when known (the client's claim, or the dashboard). */
  by?: string;
}

/** Runs validated requests against a runtime. */
export type ControlHandler = (request: ControlRequest, context: ControlContext) => Promise<unknown>;

/** Options of {@link createControlHandler}. */
export interface ControlHandlerOptions {
  /** Operations allowed; others are refused with `HS_ERR_TRIGGER_DENIED`. @default every op */
  allow?: readonly ControlOp[];
  /** Name reported by `ping`. @default the runtime's name */
  name?: string;
}

const version = (() => {
  try {
    const url = new URL('../../package.json', import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();

/** The config unit a `config.*` request means: the named one, or the only one. */
function configOf(runtime: Runtime, name: string | undefined): Config {
  if (name !== undefined) {
    const unit = runtime.get(name);
    if (unit.kind !== 'config' || typeof (unit as Config).redacted !== 'function') {
      throw new HotswapError(
        'HS_ERR_CONTROL_REQUEST',
        `${name} is a ${unit.kind} unit, not a config`,
        {
          unit: name,
        },
      );
    }
    return unit as Config;
  }
  const configs = runtime.units().filter((u) => u.kind === 'config');
  const [only] = configs;
  if (configs.length === 1 && only) return only as Config;
  if (configs.length === 0) {
    throw new HotswapError('HS_ERR_UNIT_UNKNOWN', `${runtime.name} has no config unit`);
  }
  throw new HotswapError(
    'HS_ERR_CONTROL_REQUEST',
    `${runtime.name} has ${configs.length} config units: ${configs.map((c) => c.name).join(', ')}`,
    { hint: 'name one with --unit' },
  );
}

/**
 * Creates the handler that runs control requests against `runtime`.
 * @example
 * const handle = createControlHandler(runtime);
 * const report = await handle({ op: 'reload' }, { kind: 'control', by: 'alice' });
 */
export function createControlHandler(
  runtime: Runtime,
  options: ControlHandlerOptions = {},
): ControlHandler {
  const allowed = options.allow ? new Set<ControlOp>(options.allow) : undefined;
  const name = options.name ?? runtime.name;
  return async (request, context) => {
    if (allowed && !allowed.has(request.op)) {
      throw new HotswapError('HS_ERR_TRIGGER_DENIED', `${request.op} is not allowed here`, {
        hint: `allowed: ${[...allowed].join(', ')}`,
      });
    }
    const by = request.by ?? context.by;
    const trigger: Trigger = by === undefined ? { kind: context.kind } : { kind: context.kind, by };
    const target = (unit: string | undefined) =>
      configTarget(configOf(runtime, unit), {
        description: `${name} (pid ${process.pid})`,
        trigger,
      });
    switch (request.op) {
      case 'ping':
        return { name, pid: process.pid, protocol: controlProtocol, version };
      case 'status':
        return runtime.status();
      case 'history': {
        const reports = runtime.history();
        return request.limit === undefined ? reports : reports.slice(-request.limit);
      }
      case 'reload':
        return runtime.reload({
          ...(request.units && request.units.length > 0 ? { units: request.units } : {}),
          ...(request.dependents === undefined ? {} : { dependents: request.dependents }),
          trigger,
        });
      case 'rehash':
        return rehash(runtime, trigger);
      case 'rollback':
        return runtime.rollback(request.unit, request.steps ?? 1, { trigger });
      case 'drain':
        return runtime.drain({
          ...(request.timeout === undefined ? {} : { timeout: request.timeout }),
          reason: request.reason ?? `${context.kind} request${by ? ` by ${by}` : ''}`,
        });
      case 'undrain':
        runtime.undrain(request.reason ?? `${context.kind} request${by ? ` by ${by}` : ''}`);
        return { draining: runtime.draining };
      case 'config.info':
        return target(request.unit).info();
      case 'config.show':
        return target(request.unit).show();
      case 'config.snapshots':
        return target(request.unit).snapshots();
      case 'config.reload':
        return target(request.unit).reload({ validateOnly: request.validateOnly === true });
      case 'config.rollback':
        return target(request.unit).rollback(request.steps ?? 1);
      default: {
        const unhandled: never = request;
        throw new HotswapError('HS_ERR_CONTROL_REQUEST', `unhandled op ${String(unhandled)}`);
      }
    }
  };
}
