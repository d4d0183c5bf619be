/**
 * Where control sockets live and how a client finds one: a private folder per user, holding
 * `<name>.sock` (the socket) and `<name>.json` (its index entry: pid, name, start time), so a
 * process is found by name, by pid, or as the only one running.
 *
 * The folder is the OS-enforced access check: it is created 0700 and refused when another user
 * owns it or others may write to it (as tmux and ssh-agent do), and each socket is 0600.
 * Node cannot read a peer's credentials (`SO_PEERCRED` is not exposed), so these permissions are
 * what keeps other users out: connect(2) needs write permission on the socket file and search
 * permission on the folder. root bypasses both, as it bypasses everything.
 */
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HotswapError } from '../errors.js';

/** One running process as its index entry describes it. */
export interface ControlIndexEntry {
  /** The process name (the socket's file name without `.sock`). */
  name: string;
  /** Process id of the process that listens. */
  pid: number;
  /** Absolute path of the socket. */
  socket: string;
  /** When it started listening, ISO 8601. */
  startedAt: string;
  /** Wire protocol version. */
  protocol: number;
}

/** Longest socket path Linux accepts (`sun_path` is 108 bytes with its NUL). */
export const maxSocketPath = 107;

/** Names of processes: a file name, never a path. */
export const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * The control folder of this user: `$HOTSWAP_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR/hotswap`,
 * else `<tmpdir>/hotswap-<uid>`.
 */
export function controlDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HOTSWAP_RUNTIME_DIR) return env.HOTSWAP_RUNTIME_DIR;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'hotswap');
  return join(tmpdir(), `hotswap-${uid()}`);
}

function uid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 0;
}

function listenError(message: string, hint?: string, cause?: unknown): HotswapError {
  return new HotswapError('HS_ERR_CONTROL_LISTEN', message, { hint, cause });
}

/**
 * Creates the folder (0700) when missing; throws `HS_ERR_CONTROL_LISTEN` when it is not a real
 * folder, belongs to another user, or lets others in.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) {
    throw listenError(`${dir} is not a folder (a symlink or file is in the way)`);
  }
  if (st.uid !== uid()) {
    throw listenError(
      `${dir} belongs to uid ${st.uid}, not to this process (uid ${uid()})`,
      'remove it, or choose another folder with HOTSWAP_RUNTIME_DIR',
    );
  }
  if ((st.mode & 0o077) !== 0) {
    throw listenError(
      `${dir} is open to other users (mode ${(st.mode & 0o777).toString(8)}); it must be 700`,
      `chmod 700 ${dir}`,
    );
  }
}

/**
 * Checks the folder of a socket path chosen by the app: it must exist, belong to this user or
 * root, and be writable by nobody else (the socket itself is made 0600).
 */
export function checkSocketFolder(dir: string): void {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(dir);
  } catch (err) {
    throw listenError(`cannot use ${dir} for a control socket`, undefined, err);
  }
  if (!st.isDirectory()) throw listenError(`${dir} is not a folder`);
  if (st.uid !== uid() && st.uid !== 0) {
    throw listenError(`${dir} belongs to uid ${st.uid}, not to this process (uid ${uid()})`);
  }
  // A sticky folder (like /tmp) protects our file from being removed or replaced by others.
  if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) {
    throw listenError(
      `others may write to ${dir} (mode ${(st.mode & 0o7777).toString(8)})`,
      'put the socket in a folder only you can write to',
    );
  }
}

/** The socket path of a process name in `dir`. */
export function socketPathOf(dir: string, name: string): string {
  return join(dir, `${name}.sock`);
}

/** The index entry path of a process name in `dir`. */
export function indexPathOf(dir: string, name: string): string {
  return join(dir, `${name}.json`);
}

/** Writes an index entry atomically (0600), so a reader never sees half of one. */
export function writeIndex(dir: string, entry: ControlIndexEntry): string {
  const path = indexPathOf(dir, entry.name);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
  renameSync(temp, path);
  return path;
}

/** Reads an index entry; undefined when missing or unreadable. */
export function readIndex(path: string): ControlIndexEntry | undefined {
  try {
    const entry = JSON.parse(readFileSync(path, 'utf8')) as ControlIndexEntry;
    if (typeof entry?.pid !== 'number' || typeof entry.socket !== 'string') return undefined;
    return entry;
  } catch {
    return undefined;
  }
}

/** True when a process with this pid exists (EPERM: it exists, owned by someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every index entry in `dir` whose process is alive, by name. */
export function listRunning(dir: string): ControlIndexEntry[] {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return [];
  }
  const running: ControlIndexEntry[] = [];
  for (const file of files.sort()) {
    if (!file.endsWith('.json')) continue;
    const entry = readIndex(join(dir, file));
    if (entry && isAlive(entry.pid) && isSocket(entry.socket)) running.push(entry);
  }
  return running;
}

/** True when `path` is a socket (not a file, folder or symlink put there by someone). */
export function isSocket(path: string): boolean {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return false;
  }
}

/** Removes a file if it is there, ignoring a file that is already gone. */
export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone (another cleanup won the race): nothing to do.
  }
}
