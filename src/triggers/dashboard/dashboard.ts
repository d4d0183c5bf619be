/**
 * The dashboard (layer 4 trigger): a small local web page that shows a runtime (units and their
 * generations, the latest reports with errors and code frames, the history as a timeline,
 * workers, leases, drain) live over server-sent events, with a Reload and a Rehash button.
 * While the runtime is in its error state (the last reload failed) the page is tinted red and
 * says why; the next successful reload clears it.
 *
 * Access: it listens on loopback only, and every page, stream and action needs the token that
 * is in the URL the process prints (compared in constant time). Buttons send the token in a
 * custom header, never a cookie, so another site cannot make a browser press them. The Host
 * header must name the server (against DNS rebinding). `/metrics` serves the Prometheus text,
 * with the same token as a bearer token or `?token=`, unless `metrics: { public: true }`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HotswapError } from '../../errors.js';
import type { Runtime } from '../../runtime/runtime.js';
import {
  assertLoopback,
  assertToken,
  bearerToken,
  hostAllowed,
  newToken,
  tokensEqual,
} from '../_control-auth.js';
import { createControlHandler } from '../_control-dispatch.js';
import { errorReply, replyLine } from '../_control-lines.js';
import { createOperatorMetrics, type OperatorMetrics } from '../metrics.js';
import { deniedHtml, pageHtml } from './_page-html.js';
import { pageScript } from './_page-script.js';
import { pageCss } from './_page-style.js';
import { createEventHub } from './_sse.js';
import { dashboardState } from './_state.js';

/** Options of {@link serveDashboard}. */
export interface DashboardOptions {
  /** Port; 0 picks a free one. @default 0 */
  port?: number;
  /** `127.0.0.1` or `::1`; nothing else is accepted. @default '127.0.0.1' */
  host?: string;
  /** The access token (at least 16 characters). @default a new random one per start */
  token?: string;
  /**
   * Serve `/metrics`: `true` (token required), `{ public: true }` (no token: for a scraper on
   * this host), an existing {@link OperatorMetrics} to serve, or `false`. @default true
   */
  metrics?: boolean | { public?: boolean; metrics?: OperatorMetrics } | OperatorMetrics;
  /**
   * Called once with the URL (token included) when listening; `false` for silence.
   * @default writes `hotswap: dashboard at <url>` to stderr (not to the log, which may be shipped elsewhere)
   */
  announce?: ((url: string) => void) | false;
}

/** A running dashboard. Create with {@link serveDashboard}. */
export interface Dashboard {
  /** The page URL with its token: `http://127.0.0.1:<port>/?token=...`. */
  readonly url: string;
  /** The port listened on. */
  readonly port: number;
  /** The access token. */
  readonly token: string;
  /** Stops listening, ends open pages' event streams. */
  close(): Promise<void>;
}

const securityHeaders = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { ...securityHeaders, 'content-type': `${type}; charset=utf-8` });
  res.end(body);
}

function isMetrics(value: unknown): value is OperatorMetrics {
  return typeof (value as OperatorMetrics | undefined)?.metrics === 'function';
}

/**
 * Serves the dashboard of `runtime` on loopback. Throws `HS_ERR_CONTROL_LISTEN` for a
 * non-loopback host or a short token.
 * @example
 * const dashboard = await serveDashboard(runtime, { port: 7300 });
 * // hotswap: dashboard at http://127.0.0.1:7300/?token=...
 * await dashboard.close();
 */
export async function serveDashboard(
  runtime: Runtime,
  options: DashboardOptions = {},
): Promise<Dashboard> {
  const host = options.host ?? '127.0.0.1';
  assertLoopback(host, 'the dashboard');
  const token = options.token ?? newToken();
  assertToken(token, 'the dashboard');
  const log = runtime.log.child({ trigger: 'dashboard' });
  const handler = createControlHandler(runtime, { allow: ['reload', 'rehash'] });
  const hub = createEventHub(runtime);

  const option = options.metrics ?? true;
  const given = isMetrics(option)
    ? option
    : typeof option === 'object'
      ? option.metrics
      : undefined;
  const metrics = option === false ? undefined : (given ?? createOperatorMetrics(runtime));
  const ownMetrics = metrics !== undefined && metrics !== given;
  const metricsPublic = typeof option === 'object' && !isMetrics(option) && option.public === true;
  let port = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hostAllowed(req, port)) return send(res, 421, 'text/plain', 'unexpected Host header\n');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /app.js':
        return send(res, 200, 'text/javascript', pageScript);
      case 'GET /app.css':
        return send(res, 200, 'text/css', pageCss);
      case 'GET /favicon.ico':
        res.writeHead(204, securityHeaders).end();
        return;
      case 'GET /metrics': {
        if (!metrics) return send(res, 404, 'text/plain', 'metrics are off\n');
        const given = bearerToken(req) ?? url.searchParams.get('token') ?? undefined;
        if (!metricsPublic && !tokensEqual(given, token)) {
          res.setHeader('www-authenticate', 'Bearer');
          return send(res, 401, 'text/plain', 'token missing or wrong\n');
        }
        res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
        res.end(await metrics.metrics());
        return;
      }
    }
    if (req.method === 'POST') {
      // Actions take the token from a custom header only: a form or an <img> on another site
      // cannot set one, and a cross-origin fetch that tries is stopped by the CORS preflight.
      if (!tokensEqual(headerToken(req), token)) {
        return send(res, 401, 'application/json', replyLine(denied('token missing or wrong')));
      }
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== `http://${req.headers.host}`) {
        return send(res, 403, 'application/json', replyLine(denied(`foreign origin ${origin}`)));
      }
      const op =
        url.pathname === '/api/reload'
          ? 'reload'
          : url.pathname === '/api/rehash'
            ? 'rehash'
            : undefined;
      if (!op)
        return send(res, 404, 'application/json', replyLine(denied(`no action ${url.pathname}`)));
      req.resume(); // the body, if any, is not read: an action takes no arguments
      try {
        const result = await handler({ op }, { kind: 'dashboard', by: 'browser' });
        return send(res, 200, 'application/json', replyLine({ ok: true, result }));
      } catch (err) {
        return send(res, 500, 'application/json', replyLine(errorReply(err)));
      }
    }
    if (req.method !== 'GET') {
      res.setHeader('allow', 'GET, POST');
      return send(res, 405, 'text/plain', 'method not allowed\n');
    }
    if (!tokensEqual(url.searchParams.get('token') ?? undefined, token)) {
      return send(res, 401, 'text/html', deniedHtml);
    }
    switch (url.pathname) {
      case '/':
      case '/index.html':
        return send(res, 200, 'text/html', pageHtml);
      case '/events':
        hub.add(res);
        return;
      case '/api/state':
        return send(res, 200, 'application/json', JSON.stringify(dashboardState(runtime)));
      default:
        return send(res, 404, 'text/plain', 'not found\n');
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err }, 'dashboard request failed');
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
      else res.destroy();
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', (err) =>
      fail(
        new HotswapError('HS_ERR_CONTROL_LISTEN', `the dashboard cannot listen: ${err.message}`, {
          cause: err,
        }),
      ),
    );
    server.listen(options.port ?? 0, host, () => done());
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const url = `${origin}/?token=${encodeURIComponent(token)}`;
  log.info(
    { url: `${origin}/` },
    `dashboard listening on ${origin}/ (the token is in the announced URL)`,
  );
  if (options.announce !== false) {
    (options.announce ?? ((u: string) => process.stderr.write(`hotswap: dashboard at ${u}\n`)))(
      url,
    );
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    token,
    close() {
      closing ??= new Promise<void>((done) => {
        hub.close();
        if (ownMetrics) metrics?.close();
        server.close(() => done());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function headerToken(req: IncomingMessage): string | undefined {
  const value = req.headers['x-hotswap-token'];
  return typeof value === 'string' ? value : undefined;
}

function denied(message: string) {
  return errorReply(new HotswapError('HS_ERR_TRIGGER_DENIED', message));
}
