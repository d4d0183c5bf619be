/**
 * HTTP control (layer 4 trigger), optional: the control socket's requests over HTTP on
 * 127.0.0.1, for tools that speak HTTP rather than Unix sockets (a deploy script, curl from a
 * sidecar in the same network namespace). Every request needs `Authorization: Bearer <token>`;
 * without a configured token the server refuses to start, and it never listens beyond loopback.
 *
 * `POST /control` with one JSON request as the body answers one JSON reply, the same as a line
 * of the control socket.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HotswapError, isHotswapError } from '../errors.js';
import type { Runtime } from '../runtime/runtime.js';
import {
  assertLoopback,
  assertToken,
  bearerToken,
  hostAllowed,
  readBody,
  tokensEqual,
} from './_control-auth.js';
import { createControlHandler } from './_control-dispatch.js';
import { errorReply, replyLine } from './_control-lines.js';
import {
  type ControlOp,
  maxRequestBytes,
  parseRequest,
  requestId,
} from './control-socket-protocol.js';

/** Options of {@link serveHttpControl}. */
export interface HttpControlOptions {
  /** The bearer token clients must send (at least 16 characters). Required. */
  token: string;
  /** Port; 0 picks a free one. @default 0 */
  port?: number;
  /** `127.0.0.1` or `::1`; nothing else is accepted. @default '127.0.0.1' */
  host?: string;
  /** Operations allowed (e.g. `readOnlyOps`); others get 403. @default every op */
  allow?: readonly ControlOp[];
}

/** A listening HTTP control server. */
export interface HttpControl {
  /** `http://127.0.0.1:<port>/control` (no token in it). */
  readonly url: string;
  /** The port listened on. */
  readonly port: number;
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

function statusOf(code: string | undefined): number {
  switch (code) {
    case 'HS_ERR_CONTROL_REQUEST':
    case 'HS_ERR_UNIT_UNKNOWN':
    case 'HS_ERR_UNIT_ROLLBACK':
      return 400;
    case 'HS_ERR_TRIGGER_DENIED':
      return 403;
    default:
      return 500;
  }
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}

/**
 * Serves control requests over HTTP on loopback. Throws `HS_ERR_CONTROL_LISTEN` without a token
 * or for a non-loopback host.
 * @example
 * const http = await serveHttpControl(runtime, { token: process.env.HOTSWAP_TOKEN! });
 * // curl -H "Authorization: Bearer $HOTSWAP_TOKEN" -d '{"op":"reload"}' <http.url>
 */
export async function serveHttpControl(
  runtime: Runtime,
  options: HttpControlOptions,
): Promise<HttpControl> {
  const host = options.host ?? '127.0.0.1';
  assertLoopback(host, 'HTTP control');
  assertToken(options.token, 'HTTP control');
  const token = options.token;
  const handler = createControlHandler(runtime, options.allow ? { allow: options.allow } : {});
  const log = runtime.log.child({ trigger: 'http-control' });
  let port = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hostAllowed(req, port)) return send(res, 421, replyLine(denied('unexpected Host header')));
    if (!tokensEqual(bearerToken(req), token)) {
      res.setHeader('www-authenticate', 'Bearer');
      return send(res, 401, replyLine(denied('missing or wrong bearer token')));
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== '/control') return send(res, 404, replyLine(denied(`no route ${path}`)));
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return send(res, 405, replyLine(denied('use POST')));
    }
    const body = await readBody(req, maxRequestBytes);
    if (body === undefined) {
      return send(res, 413, replyLine(errorReply(tooLarge())));
    }
    let request: ReturnType<typeof parseRequest>;
    try {
      request = parseRequest(body);
    } catch (err) {
      return send(res, 400, replyLine(errorReply(err, requestId(body))));
    }
    try {
      const result = await handler(request, { kind: 'control', by: 'http' });
      send(
        res,
        200,
        replyLine({ ...(request.id === undefined ? {} : { id: request.id }), ok: true, result }),
      );
    } catch (err) {
      send(
        res,
        statusOf(isHotswapError(err) ? err.code : undefined),
        replyLine(errorReply(err, request.id)),
      );
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err }, 'HTTP control request failed');
      if (!res.headersSent) send(res, 500, replyLine(errorReply(err)));
      else res.destroy();
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => done());
  });
  port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shown}:${port}/control`;
  log.info({ url }, `HTTP control listening on ${url}`);
  return {
    url,
    port,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

function denied(message: string) {
  return errorReply(new HotswapError('HS_ERR_TRIGGER_DENIED', message));
}

function tooLarge() {
  return new HotswapError(
    'HS_ERR_CONTROL_REQUEST',
    `request body longer than ${maxRequestBytes} bytes`,
  );
}
