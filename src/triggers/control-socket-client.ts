/**
 * The client side of the control socket: find a running process (by socket path, name, pid, or
 * as the only one), send requests, and get replies back as values, or as `HotswapError`s with
 * the code, hint, location and frame the process gave. Used by the `hotswap` CLI; usable by any
 * script of the same user.
 */
import { connect, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import {
  errorCodes,
  HotswapError,
  type HotswapErrorCode,
  type SerializedError,
} from '../errors.js';
import {
  type ControlIndexEntry,
  controlDir,
  isAlive,
  isSocket,
  listRunning,
  namePattern,
  readIndex,
  socketPathOf,
} from './_control-dir.js';
import type { ControlReply, ControlRequest } from './control-socket-protocol.js';

/** Which process to talk to; with none given, the only one running. */
export interface ControlTarget {
  /** A socket path. */
  socket?: string;
  /** A process name (`serveControlSocket({ name })`). */
  name?: string;
  /** A process id. */
  pid?: number;
  /** The folder to look in. @default as the server: `$HOTSWAP_RUNTIME_DIR`, `$XDG_RUNTIME_DIR/hotswap`, ... */
  dir?: string;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A request as a client writes it: the op and its fields; the client adds the id. */
export type ControlRequestInput = DistributiveOmit<ControlRequest, 'id'>;

/** A connection to one process. Create with {@link connectControlSocket}. */
export interface ControlClient {
  /** The socket path. */
  readonly path: string;
  /**
   * Sends a request and resolves its result; rejects with the process's error (a
   * `HotswapError` with its code) or `HS_ERR_CONTROL_UNREACHABLE` when the connection fails.
   */
  request<T = unknown>(request: ControlRequestInput): Promise<T>;
  /** Ends the connection. */
  close(): void;
}

function unreachable(message: string, hint?: string, cause?: unknown): HotswapError {
  return new HotswapError('HS_ERR_CONTROL_UNREACHABLE', message, { hint, cause });
}

function usage(message: string, hint?: string): HotswapError {
  return new HotswapError('HS_ERR_CLI_USAGE', message, { hint });
}

function describe(entry: ControlIndexEntry): string {
  return `${entry.name} (pid ${entry.pid})`;
}

/**
 * The socket path of the target. Throws `HS_ERR_CONTROL_UNREACHABLE` when no such process runs,
 * and `HS_ERR_CLI_USAGE` for a malformed name or when several run and none was chosen.
 * @example
 * const path = findControlSocket({ name: 'bot' });
 */
export function findControlSocket(target: ControlTarget = {}): string {
  if (target.socket !== undefined) return resolve(target.socket);
  const dir = resolve(target.dir ?? controlDir());
  if (target.name !== undefined) {
    if (!namePattern.test(target.name)) {
      throw usage(`"${target.name}" is not a process name`, 'letters, digits, ".", "_" and "-"');
    }
    const path = socketPathOf(dir, target.name);
    if (!isSocket(path)) {
      const running = listRunning(dir);
      throw unreachable(
        `no process named ${target.name} in ${dir}`,
        running.length > 0 ? `running: ${running.map(describe).join(', ')}` : undefined,
      );
    }
    const entry = readIndex(join(dir, `${target.name}.json`));
    if (entry && !isAlive(entry.pid)) {
      throw unreachable(`${describe(entry)} is gone; its socket ${path} is stale`);
    }
    return path;
  }
  const running = listRunning(dir);
  if (target.pid !== undefined) {
    const entry = running.find((e) => e.pid === target.pid);
    if (!entry) {
      throw unreachable(
        `no control socket of pid ${target.pid} in ${dir}`,
        running.length > 0 ? `running: ${running.map(describe).join(', ')}` : undefined,
      );
    }
    return entry.socket;
  }
  const [only, ...others] = running;
  if (!only) {
    throw unreachable(
      `no running hotswap process found in ${dir}`,
      'start one with serveOperator(runtime), or point at it with --socket, --name or --pid',
    );
  }
  if (others.length > 0) {
    throw usage(
      `${running.length} processes are running: ${running.map(describe).join(', ')}`,
      'choose one with --name or --pid',
    );
  }
  return only.socket;
}

/** Turns an error reply back into an error carrying the process's code and details. */
export function remoteError(error: SerializedError & { issues?: unknown[] }): HotswapError | Error {
  const details = {
    unit: error.unit,
    location: error.location,
    frame: error.frame,
    hint: error.hint,
  };
  const err =
    error.code !== undefined && error.code in errorCodes
      ? new HotswapError(error.code as HotswapErrorCode, error.message, details)
      : Object.assign(new Error(error.message), { name: error.name, code: error.code });
  if (Array.isArray(error.issues)) Object.assign(err, { issues: error.issues });
  return err;
}

function connectError(path: string, err: NodeJS.ErrnoException): HotswapError {
  switch (err.code) {
    case 'EACCES':
    case 'EPERM':
      return unreachable(
        `permission denied on ${path}: the socket belongs to another user`,
        'run the command as the user the process runs as',
        err,
      );
    case 'ENOENT':
      return unreachable(`no control socket at ${path}`, undefined, err);
    case 'ECONNREFUSED':
      return unreachable(
        `nothing listens on ${path} (the process is gone; the socket is stale)`,
        undefined,
        err,
      );
    default:
      return unreachable(`cannot connect to ${path}: ${err.message}`, undefined, err);
  }
}

/**
 * Connects to a control socket.
 * @example
 * const client = await connectControlSocket(findControlSocket({ name: 'bot' }));
 * const report = await client.request({ op: 'reload' });
 * client.close();
 */
export function connectControlSocket(path: string): Promise<ControlClient> {
  return new Promise((done, fail) => {
    const socket: Socket = connect(path);
    const waiting = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
    let nextId = 1;
    let buffer = '';
    let connected = false;
    const failAll = (err: unknown): void => {
      for (const w of waiting.values()) w.reject(err);
      waiting.clear();
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let reply: ControlReply;
        try {
          reply = JSON.parse(line) as ControlReply;
        } catch {
          failAll(unreachable(`the process at ${path} answered something that is not JSON`));
          socket.destroy();
          return;
        }
        const id = typeof reply.id === 'number' ? reply.id : undefined;
        const waiter = id === undefined ? undefined : waiting.get(id);
        if (!waiter || id === undefined) continue;
        waiting.delete(id);
        if (reply.ok) waiter.resolve(reply.result);
        else waiter.reject(remoteError(reply.error));
      }
    });
    socket.once('connect', () => {
      connected = true;
      done({
        path,
        request<T>(request: ControlRequestInput): Promise<T> {
          return new Promise<T>((resolveReply, rejectReply) => {
            if (socket.destroyed) {
              rejectReply(unreachable(`the connection to ${path} is closed`));
              return;
            }
            const id = nextId++;
            waiting.set(id, { resolve: resolveReply as (v: unknown) => void, reject: rejectReply });
            socket.write(`${JSON.stringify({ ...request, id })}\n`);
          });
        },
        close() {
          socket.end();
          socket.destroy();
        },
      });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const wrapped = connected
        ? unreachable(`the connection to ${path} failed: ${err.message}`, undefined, err)
        : connectError(path, err);
      if (!connected) fail(wrapped);
      failAll(wrapped);
    });
    socket.on('close', () => {
      failAll(unreachable(`the process at ${path} closed the connection before replying`));
    });
  });
}
