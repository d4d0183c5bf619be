/**
 * Access checks shared by the HTTP servers of the operator surface (HTTP control, dashboard):
 * tokens compared in constant time, loopback-only listening, and a Host check against DNS
 * rebinding (a page on evil.example whose name later resolves to 127.0.0.1 sends its own Host).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HotswapError } from '../errors.js';

/** Addresses the operator servers may listen on. */
export const loopbackHosts: readonly string[] = ['127.0.0.1', '::1'];

/** A new random token: 32 bytes, base64url (43 characters). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Shortest token accepted from an app. */
export const minTokenLength = 16;

/**
 * True when `given` equals `expected`, in time independent of where they differ: both are
 * hashed first, so even their lengths do not leak through timing.
 */
export function tokensEqual(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Throws `HS_ERR_CONTROL_LISTEN` unless `host` is a loopback address. */
export function assertLoopback(host: string, what: string): void {
  if (!loopbackHosts.includes(host)) {
    throw new HotswapError(
      'HS_ERR_CONTROL_LISTEN',
      `${what} listens on loopback only (127.0.0.1 or ::1), not ${host}`,
      { hint: 'put a reverse proxy with its own authentication in front for remote access' },
    );
  }
}

/** Throws `HS_ERR_CONTROL_LISTEN` when `token` is missing or too short. */
export function assertToken(token: string | undefined, what: string): asserts token is string {
  if (typeof token !== 'string' || token.length < minTokenLength) {
    throw new HotswapError(
      'HS_ERR_CONTROL_LISTEN',
      token === undefined
        ? `${what} needs a token and none is configured`
        : `${what} token is shorter than ${minTokenLength} characters`,
      { hint: 'pass { token } (e.g. from an environment variable or a secret file)' },
    );
  }
}

/** True when the request's Host header names this server by a loopback name and its port. */
export function hostAllowed(req: IncomingMessage, port: number): boolean {
  const host = req.headers.host;
  if (host === undefined) return false;
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(host.toLowerCase());
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/** Reads a request body up to `limit` bytes; resolves undefined when it is longer. */
export function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => done(over ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}
