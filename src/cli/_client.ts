/**
 * What every command that talks to a running process shares: the options that choose the
 * process (`--name`, `--pid`, `--socket`, or the only one running), `--json`, one connection per
 * command, and the exit code each failure maps to (2 usage, 3 cannot reach the process).
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { HotswapError, isHotswapError } from '../errors.js';
import {
  type ControlClient,
  connectControlSocket,
  findControlSocket,
} from '../triggers/control-socket-client.js';
import { exitCodes } from './exit-codes.js';

/** The options of a command that talks to a running process. */
export interface TargetOptions {
  name?: string;
  pid?: string;
  socket?: string;
  json?: boolean;
}

/** Adds `--name`, `--pid`, `--socket` and `--json` to a command. */
export function targetOptions(command: Command): Command {
  return command
    .option('--name <name>', 'the process name (serveOperator({ name }))')
    .option('--pid <pid>', 'the process id')
    .option('--socket <path>', 'the control socket path')
    .option('--json', 'print the result as JSON');
}

/**
 * Adds the sub-command `name` of `program` that talks to a running process: its description and
 * the options that choose the process ({@link targetOptions}).
 * @example
 * remoteCommand(program, 'history', 'List the reload reports a running process keeps.')
 *   .option('--limit <n>', 'only the newest n reports')
 *   .action(async (opts: TargetOptions & { limit?: string }) => { ... });
 */
export function remoteCommand(program: Command, name: string, description: string): Command {
  return targetOptions(program.command(name).description(description));
}

/** A usage error (exit code 2). */
export function usageError(message: string, hint?: string): HotswapError {
  return Object.assign(new HotswapError('HS_ERR_CLI_USAGE', message, { hint }), {
    exitCode: exitCodes.usage,
  });
}

/** The exit code a failure of a remote command maps to. */
export function exitCodeOf(err: unknown): number {
  if (!isHotswapError(err)) return exitCodes.failed;
  switch (err.code) {
    case 'HS_ERR_CONTROL_UNREACHABLE':
    case 'HS_ERR_RUNTIME_CLOSED':
    case 'HS_ERR_TRIGGER_DENIED':
      return exitCodes.unreachable;
    case 'HS_ERR_CLI_USAGE':
    case 'HS_ERR_CONTROL_REQUEST':
    case 'HS_ERR_UNIT_UNKNOWN':
      return exitCodes.usage;
    default:
      return exitCodes.failed;
  }
}

/** Parses an integer option of at least `min`; throws a usage error otherwise. */
export function positiveInteger(
  value: string | undefined,
  option: string,
  min = 1,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
    throw usageError(
      `${option} takes ${min === 0 ? 'a whole number' : 'a positive integer'}, not "${value}"`,
    );
  }
  return n;
}

/** Who is asking, for reports: the login name (the process cannot verify it; it is a label). */
function requester(): string {
  try {
    return userInfo().username.slice(0, 64);
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

/** What a remote command gets: the connected client and who asks. */
export interface Session {
  client: ControlClient;
  /** The requester's name, sent as `by`. */
  by: string;
}

/**
 * Connects to the chosen process, runs `fn`, closes the connection. Errors keep their message
 * and get the exit code of {@link exitCodeOf}.
 */
export async function withSession<T>(
  opts: TargetOptions,
  fn: (session: Session) => Promise<T>,
): Promise<T> {
  const chosen = [opts.name, opts.pid, opts.socket].filter((o) => o !== undefined);
  if (chosen.length > 1) throw usageError('choose the process with one of --name, --pid, --socket');
  const pid = positiveInteger(opts.pid, '--pid');
  let client: ControlClient | undefined;
  try {
    const path = findControlSocket({
      ...(opts.name !== undefined ? { name: opts.name } : {}),
      ...(pid !== undefined ? { pid } : {}),
      ...(opts.socket !== undefined ? { socket: opts.socket } : {}),
    });
    client = await connectControlSocket(path);
    return await fn({ client, by: requester() });
  } catch (err) {
    if (isHotswapError(err)) err.exitCode ??= exitCodeOf(err);
    throw err;
  } finally {
    client?.close();
  }
}

/** Prints a value as JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
