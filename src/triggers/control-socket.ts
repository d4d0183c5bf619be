/**
 * The control socket (layer 4 trigger): a Unix domain socket through which `hotswap reload`,
 * `status`, `rollback`, `drain` ... reach a running process. Requests are JSON lines checked
 * against a schema (see `_control-protocol.ts`); none carries code, paths or shell.
 *
 * Who may connect is decided by the operating system: the socket is `0600` in a `0700` folder
 * of this user, so connect(2) fails with EACCES for every other user but root. Node does not
 * expose the peer's credentials (`SO_PEERCRED`), so there is no second, request-level uid
 * check; the `by` a client sends is its own claim, shown in reports, not an authentication.
 */
import { chmodSync, lstatSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname, resolve } from 'node:path';
import { HotswapError } from '../errors.js';
import type { Runtime } from '../runtime/runtime.js';
import {
  checkSocketFolder,
  controlDir,
  ensurePrivateDir,
  indexPathOf,
  isSocket,
  maxSocketPath,
  namePattern,
  readIndex,
  removeQuietly,
  socketPathOf,
  writeIndex,
} from './_control-dir.js';
import { createControlHandler } from './_control-dispatch.js';
import { serveLines } from './_control-lines.js';
import { type ControlOp, controlProtocol } from './control-socket-protocol.js';

/** Options of {@link serveControlSocket}. */
export interface ControlSocketOptions {
  /**
   * The process name: the socket is `<dir>/<name>.sock` and `hotswap --name <name>` finds it.
   * Letters, digits, `.`, `_` and `-`. @default the runtime's name
   */
  name?: string;
  /**
   * The folder of sockets and index entries, created `0700`.
   * @default `$HOTSWAP_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR/hotswap`, else `<tmpdir>/hotswap-<uid>`
   */
  dir?: string;
  /**
   * Listen on this path instead of `<dir>/<name>.sock`; its folder must not be writable by
   * others. The index entry is still written to `dir`, so `--name` and `--pid` find it.
   */
  path?: string;
  /** Operations clients may run; others get `HS_ERR_TRIGGER_DENIED`. @default every op */
  allow?: readonly ControlOp[];
  /** Connections served at once; more are closed at once. @default 32 */
  maxConnections?: number;
}

/** A listening control socket. Create with {@link serveControlSocket}. */
export interface ControlSocket {
  /** The process name. */
  readonly name: string;
  /** Absolute path of the socket. */
  readonly path: string;
  /** Absolute path of the index entry. */
  readonly index: string;
  /** Stops listening, ends open connections, removes the socket and its index entry. */
  close(): Promise<void>;
}

function listenError(message: string, hint?: string, cause?: unknown): HotswapError {
  return new HotswapError('HS_ERR_CONTROL_LISTEN', message, { hint, cause });
}

/** Resolves true when something accepts connections at `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((done) => {
    const probe = connect(path);
    const finish = (alive: boolean) => {
      probe.destroy();
      done(alive);
    };
    probe.once('connect', () => finish(true));
    probe.once('error', () => finish(false));
  });
}

/**
 * Clears the way for a socket at `path`: nothing there, or a socket nobody answers on (left by
 * a process that died), which is removed. A live socket or anything else is left alone.
 */
async function claim(path: string, name: string, dir: string): Promise<void> {
  let exists = true;
  try {
    lstatSync(path);
  } catch {
    exists = false;
  }
  if (!exists) return;
  if (!isSocket(path)) {
    throw listenError(`${path} exists and is not a socket`, 'remove it or choose another name');
  }
  if (await answers(path)) {
    const owner = readIndex(indexPathOf(dir, name));
    throw listenError(
      `a process${owner ? ` (pid ${owner.pid})` : ''} already listens on ${path}`,
      'give this runtime another name, or stop the other process',
    );
  }
  removeQuietly(path);
}

/**
 * Listens on the control socket of `runtime`. Throws `HS_ERR_CONTROL_LISTEN` when the name is
 * taken by a live process, the folder is unsafe, or the path is too long for a socket.
 * @example
 * const control = await serveControlSocket(runtime, { name: 'bot' });
 * // $ hotswap reload --name bot
 * await control.close();
 */
export async function serveControlSocket(
  runtime: Runtime,
  options: ControlSocketOptions = {},
): Promise<ControlSocket> {
  const name = options.name ?? runtime.name;
  if (!namePattern.test(name)) {
    throw listenError(
      `"${name}" cannot name a control socket`,
      'use letters, digits, ".", "_" and "-" (at most 64)',
    );
  }
  const dir = resolve(options.dir ?? controlDir());
  ensurePrivateDir(dir);
  const path = options.path ? resolve(options.path) : socketPathOf(dir, name);
  if (options.path) checkSocketFolder(dirname(path));
  if (Buffer.byteLength(path) > maxSocketPath) {
    throw listenError(
      `socket path is ${Buffer.byteLength(path)} bytes, more than the ${maxSocketPath} a socket allows: ${path}`,
      'choose a shorter folder (HOTSWAP_RUNTIME_DIR) or name',
    );
  }
  await claim(path, name, dir);

  const log = runtime.log.child({ trigger: 'control-socket' });
  const handler = createControlHandler(runtime, {
    name,
    ...(options.allow ? { allow: options.allow } : {}),
  });
  const connections = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
    serveLines(
      socket,
      handler,
      { kind: 'control' },
      {
        onRefused: (err) => log.warn({ code: err.code }, `control request refused: ${err.message}`),
      },
    );
  });
  server.maxConnections = options.maxConnections ?? 32;
  await new Promise<void>((done, fail) => {
    server.once('error', (err) =>
      fail(listenError(`cannot listen on ${path}: ${err.message}`, undefined, err)),
    );
    server.listen(path, () => done());
  });
  // The folder is 0700 already; 0600 keeps the socket private even if it is moved or the
  // folder's mode is loosened later.
  chmodSync(path, 0o600);
  const inode = lstatSync(path).ino;
  const index = writeIndex(dir, {
    name,
    pid: process.pid,
    socket: path,
    startedAt: new Date().toISOString(),
    protocol: controlProtocol,
  });

  // Remove only what is still ours: a later process may have replaced a stale socket already.
  const cleanup = (): void => {
    try {
      if (lstatSync(path).ino === inode) removeQuietly(path);
    } catch {
      // Already gone.
    }
    if (readIndex(index)?.pid === process.pid) removeQuietly(index);
  };
  // An app that exits without closing leaves no socket behind (exit handlers must be sync).
  process.on('exit', cleanup);
  log.info({ socket: path }, `control socket listening on ${path}`);

  let closing: Promise<void> | undefined;
  return {
    name,
    path,
    index,
    close() {
      closing ??= new Promise<void>((done) => {
        process.off('exit', cleanup);
        server.close(() => done());
        for (const socket of connections) socket.destroy();
        cleanup();
      });
      return closing;
    },
  };
}
