/** HTTP on 127.0.0.1: one request, and polling until a reply matches. */
import { Agent, request } from 'node:http';
import { servedValue } from './fixture.js';
import { sleep } from './stats.js';

/** A reply, or the error that stood for one. */
export interface Reply {
  /** HTTP status, or 0 when the request failed (refused, reset, timed out). */
  readonly status: number;
  readonly body: string;
  /** The leaf value the body shows, if any. */
  readonly value: string | undefined;
  /** Request time in ms. */
  readonly ms: number;
  /** Error code when `status` is 0. */
  readonly error?: string;
}

/** A keep-alive agent, as a real client holds. */
export function createAgent(maxSockets = 1): Agent {
  return new Agent({ keepAlive: true, maxSockets });
}

/** GETs `path` from 127.0.0.1:`port`; never rejects: a failure is a reply with status 0. */
export function get(port: number, path: string, agent: Agent, timeoutMs = 5_000): Promise<Reply> {
  const start = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (status: number, body: string, error?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const reply: Reply = {
        status,
        body,
        value: servedValue(body),
        ms: performance.now() - start,
      };
      resolve(error === undefined ? reply : { ...reply, error });
    };
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => done(res.statusCode ?? 0, body));
      res.on('error', (err: NodeJS.ErrnoException) => done(0, '', err.code ?? err.message));
    });
    const timer = setTimeout(() => {
      req.destroy();
      done(0, '', 'TIMEOUT');
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => done(0, '', err.code ?? err.message));
    req.end();
  });
}

/**
 * Requests `/` until `accept` holds for a reply or `deadline` (a `performance.now()` time)
 * passes. Paced by 1 ms between requests, and 2 ms after a failed one, so the poller does not
 * take the CPU the app needs to reload (the machine has 2 cores). Returns the matching reply and
 * the time it arrived, or undefined on timeout.
 */
export async function pollUntil(
  port: number,
  agent: Agent,
  accept: (reply: Reply) => boolean,
  deadline: number,
): Promise<{ reply: Reply; at: number } | undefined> {
  while (performance.now() < deadline) {
    const reply = await get(port, '/', agent, Math.max(50, deadline - performance.now()));
    if (accept(reply)) return { reply, at: performance.now() };
    await sleep(reply.status === 0 ? 2 : 1);
  }
  return undefined;
}
