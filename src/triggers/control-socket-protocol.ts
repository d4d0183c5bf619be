/**
 * The control protocol: one JSON object per line each way. A request names an operation and
 * its few plain arguments (unit names, counts, milliseconds); none ever carries code, a path or
 * a shell command. Every request is validated against a schema (valibot, a Standard Schema
 * library) before anything runs: a malformed, unknown or oversized request gets an error reply
 * and changes nothing.
 */
import * as v from 'valibot';
import { HotswapError, type SerializedError } from '../errors.js';
import { nearestNames } from '../runtime/_suggest.js';

/**
 * Version of the wire protocol, in `ping` replies and index entries.
 * @example
 * const { protocol } = await client.request<{ protocol: number }>({ op: 'ping' });
 * if (protocol !== controlProtocol) console.warn('the process speaks another protocol');
 */
export const controlProtocol = 1;

/** Longest request line accepted, in bytes (requests are a few hundred bytes). */
export const maxRequestBytes = 64 * 1024;

const unitName = v.pipe(v.string(), v.minLength(1), v.maxLength(200));
const steps = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000));
const reason = v.pipe(v.string(), v.maxLength(200));
const common = {
  /** Echoed in the reply, so a client can match replies to requests. */
  id: v.optional(v.union([v.pipe(v.string(), v.maxLength(64)), v.pipe(v.number(), v.integer())])),
  /** Who asks, as the client says (shown in reports; not an authentication). */
  by: v.optional(v.pipe(v.string(), v.maxLength(64), v.regex(/^[\x20-\x7e]*$/))),
};
const op = <T extends string>(name: T) => v.literal(name);

const requestSchema = v.variant('op', [
  v.strictObject({ ...common, op: op('ping') }),
  v.strictObject({ ...common, op: op('status') }),
  v.strictObject({
    ...common,
    op: op('history'),
    limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000))),
  }),
  v.strictObject({
    ...common,
    op: op('reload'),
    units: v.optional(v.pipe(v.array(unitName), v.maxLength(100))),
    dependents: v.optional(v.boolean()),
  }),
  v.strictObject({ ...common, op: op('rehash') }),
  v.strictObject({
    ...common,
    op: op('rollback'),
    unit: v.optional(unitName),
    steps: v.optional(steps),
  }),
  v.strictObject({
    ...common,
    op: op('drain'),
    timeout: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(86_400_000))),
    reason: v.optional(reason),
  }),
  v.strictObject({ ...common, op: op('undrain'), reason: v.optional(reason) }),
  v.strictObject({ ...common, op: op('config.info'), unit: v.optional(unitName) }),
  v.strictObject({ ...common, op: op('config.show'), unit: v.optional(unitName) }),
  v.strictObject({ ...common, op: op('config.snapshots'), unit: v.optional(unitName) }),
  v.strictObject({
    ...common,
    op: op('config.reload'),
    unit: v.optional(unitName),
    validateOnly: v.optional(v.boolean()),
  }),
  v.strictObject({
    ...common,
    op: op('config.rollback'),
    unit: v.optional(unitName),
    steps: v.optional(steps),
  }),
]);

/** A validated control request. */
export type ControlRequest = v.InferOutput<typeof requestSchema>;

/** The name of a control operation. */
export type ControlOp = ControlRequest['op'];

/**
 * Every operation.
 * @example
 * controlOps.includes('rehash'); // true
 */
export const controlOps: readonly ControlOp[] = [
  'ping',
  'status',
  'history',
  'reload',
  'rehash',
  'rollback',
  'drain',
  'undrain',
  'config.info',
  'config.show',
  'config.snapshots',
  'config.reload',
  'config.rollback',
];

/**
 * Operations that only read: what a read-only socket or token should allow.
 * @example
 * await serveHttpControl(runtime, { token, allow: readOnlyOps });
 */
export const readOnlyOps: readonly ControlOp[] = [
  'ping',
  'status',
  'history',
  'config.info',
  'config.show',
  'config.snapshots',
];

/** A reply line. `error` keeps the code, message, hint, location and frame of the failure. */
export type ControlReply =
  | { id?: string | number; ok: true; result: unknown }
  | { id?: string | number; ok: false; error: SerializedError & { issues?: unknown[] } };

function requestError(message: string, hint?: string): HotswapError {
  return new HotswapError('HS_ERR_CONTROL_REQUEST', message, { hint });
}

/**
 * Parses and validates one request line. Throws `HS_ERR_CONTROL_REQUEST` naming what is wrong:
 * not JSON, not an object, an unknown op (with the nearest names), a wrong or unknown field.
 */
export function parseRequest(line: string): ControlRequest {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch (err) {
    throw requestError(`request is not JSON: ${(err as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw requestError('a request is a JSON object: {"op": "status"}');
  }
  const name = (data as { op?: unknown }).op;
  if (typeof name !== 'string') {
    throw requestError('a request needs an "op" string', `ops: ${controlOps.join(', ')}`);
  }
  if (!(controlOps as readonly string[]).includes(name)) {
    const near = nearestNames(name, controlOps);
    throw requestError(
      `unknown op "${name.slice(0, 64)}"`,
      near.length > 0 ? `did you mean ${near.join(', ')}?` : `ops: ${controlOps.join(', ')}`,
    );
  }
  const result = v.safeParse(requestSchema, data);
  if (!result.success) {
    throw requestError(`bad ${name} request: ${describeIssues(result.issues)}`);
  }
  return result.output;
}

/** The id of a request that failed validation, when it has a usable one. */
export function requestId(line: string): string | number | undefined {
  try {
    const id = (JSON.parse(line) as { id?: unknown })?.id;
    if (typeof id === 'number' && Number.isInteger(id)) return id;
    if (typeof id === 'string' && id.length <= 64) return id;
  } catch {
    // Not JSON: the reply has no id.
  }
  return undefined;
}

function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
      if (issue.type === 'strict_object') return `unknown field "${path}"`;
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}
