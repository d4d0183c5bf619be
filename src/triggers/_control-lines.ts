/**
 * The line side of a control connection, shared by every stream transport: splits incoming
 * bytes into request lines (refusing a line longer than the limit), runs them one at a time in
 * arrival order, and writes one reply line per request.
 */
import type { Duplex } from 'node:stream';
import { HotswapError, serializeError } from '../errors.js';
import { configIssues } from '../units/config/index.js';
import type { ControlContext, ControlHandler } from './_control-dispatch.js';
import {
  type ControlReply,
  maxRequestBytes,
  parseRequest,
  requestId,
} from './control-socket-protocol.js';

/** Hooks of {@link serveLines}. */
export interface LineHooks {
  /** Called for each refused request (bad JSON, unknown op, oversized), for logs. */
  onRefused?(error: HotswapError): void;
}

/** The reply line of a failure: code, message, hint, location, frame and config issues. */
export function errorReply(err: unknown, id?: string | number): ControlReply {
  const error: ControlReply & { ok: false } = {
    ok: false,
    error: { ...serializeError(err), stack: undefined },
  };
  const issues = configIssues(err);
  if (issues.length > 0) error.error.issues = [...issues];
  if (id !== undefined) error.id = id;
  return error;
}

/** Serializes a reply; a result JSON cannot express becomes an error reply. */
export function replyLine(reply: ControlReply): string {
  try {
    return `${JSON.stringify(reply)}\n`;
  } catch (err) {
    return `${JSON.stringify(errorReply(err, reply.id))}\n`;
  }
}

/**
 * Serves control requests on one connection until it ends.
 * @example
 * server.on('connection', (socket) => serveLines(socket, handler, { kind: 'control' }));
 */
export function serveLines(
  stream: Duplex,
  handler: ControlHandler,
  context: ControlContext,
  hooks: LineHooks = {},
): void {
  let pending: Buffer[] = [];
  let size = 0;
  let refused = false;
  let queue: Promise<void> = Promise.resolve();

  const write = (reply: ControlReply): void => {
    if (!stream.destroyed && stream.writable) stream.write(replyLine(reply));
  };

  const run = async (line: string): Promise<void> => {
    let request: ReturnType<typeof parseRequest>;
    try {
      request = parseRequest(line);
    } catch (err) {
      hooks.onRefused?.(err as HotswapError);
      write(errorReply(err, requestId(line)));
      return;
    }
    try {
      const result = await handler(request, context);
      write(request.id === undefined ? { ok: true, result } : { id: request.id, ok: true, result });
    } catch (err) {
      write(errorReply(err, request.id));
    }
  };

  const refuse = (): void => {
    refused = true;
    pending = [];
    const err = new HotswapError(
      'HS_ERR_CONTROL_REQUEST',
      `request line longer than ${maxRequestBytes} bytes`,
      { hint: 'a request is one JSON object on one line' },
    );
    hooks.onRefused?.(err);
    // Earlier requests still answer first; then the connection ends: the rest of the
    // oversized line cannot be told from a next request.
    queue = queue.then(() => {
      write(errorReply(err));
      stream.end();
    });
  };

  stream.on('data', (chunk: Buffer) => {
    if (refused) return;
    let start = 0;
    while (start <= chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      size += end - start;
      if (size > maxRequestBytes) return refuse();
      if (end > start) pending.push(chunk.subarray(start, end));
      if (newline === -1) return;
      const line = Buffer.concat(pending).toString('utf8').trim();
      pending = [];
      size = 0;
      start = newline + 1;
      if (line !== '') queue = queue.then(() => run(line));
    }
  });
  // The server allows half-open connections: a client may send its last request without a
  // newline and end its side (`printf ... | nc -U`); it still gets every reply, then the end.
  stream.on('end', () => {
    const line = refused ? '' : Buffer.concat(pending).toString('utf8').trim();
    pending = [];
    if (line !== '') queue = queue.then(() => run(line));
    queue = queue.then(() => {
      if (!stream.destroyed) stream.end();
    });
  });
  stream.on('error', () => {
    // A client that went away mid-reply: nothing to tell it.
  });
}
