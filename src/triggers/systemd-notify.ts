/**
 * systemd notifications (sd_notify) for services of `Type=notify` and `Type=notify-reload`:
 * `READY=1` once the process serves, `RELOADING=1` with `MONOTONIC_USEC` when a reload starts,
 * `READY=1` when it ends, `STOPPING=1` on the way out.
 *
 * The protocol is one datagram on the AF_UNIX socket named by `$NOTIFY_SOCKET`. Node has no
 * datagram Unix sockets (`dgram` is UDP only, `net` is stream only), and the npm packages that
 * send them (`sd-notify`, `unix-dgram`, `socket-calls`) are native addons. Rather than a native
 * build, each message is handed to a short-lived helper: `systemd-notify` (shipped with systemd,
 * so present wherever `$NOTIFY_SOCKET` comes from systemd), else `python3`. Because the sender
 * is then a child process, the unit needs `NotifyAccess=all` (see
 * `examples/systemd/hotswap-app.service`); with the default `NotifyAccess=main` systemd drops
 * the messages. Messages are sent one at a time, in order; a failure is logged
 * (`HS_ERR_SYSTEMD_NOTIFY`), never thrown.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Logger } from 'pino';
import { HotswapError, oneLine } from '../errors.js';
import { describeTrigger } from '../runtime/report.js';
import type { Runtime } from '../runtime/runtime.js';

/** How notifications are sent. */
export type SdNotifyTransport = 'systemd-notify' | 'python3';

/** Options of {@link createSdNotifier}. */
export interface SdNotifyOptions {
  /** The notify socket: a path, or `@name` in the abstract namespace. @default $NOTIFY_SOCKET */
  socket?: string;
  /** The helper that sends; `auto` takes the first one found on PATH. @default 'auto' */
  transport?: SdNotifyTransport | 'auto';
  /**
   * Remove `NOTIFY_SOCKET` from `process.env`, so child processes do not notify in the
   * service's name (as `sd_notify(unset_environment=1)` does). @default true
   */
  unsetEnvironment?: boolean;
  /** Where failures are logged. @default silent */
  log?: Logger;
}

/** Sends sd_notify messages. Create with {@link createSdNotifier}. */
export interface SdNotifier {
  /** True when a notify socket is set and a transport was found. */
  readonly enabled: boolean;
  /** The transport in use. */
  readonly transport: SdNotifyTransport | undefined;
  /** The notify socket, when set. */
  readonly socket: string | undefined;
  /** Queues one message of `KEY=value` fields; resolves once it was sent (or failed, logged). */
  notify(fields: Readonly<Record<string, string | number>>): Promise<void>;
  /** `READY=1`, with a status line. */
  ready(status?: string): Promise<void>;
  /** `RELOADING=1` and `MONOTONIC_USEC` (CLOCK_MONOTONIC now, in microseconds). */
  reloading(status?: string): Promise<void>;
  /** `STOPPING=1`. */
  stopping(status?: string): Promise<void>;
  /** Resolves when every queued message was sent. */
  idle(): Promise<void>;
}

const pythonSender = [
  'import os, socket, sys',
  'a = sys.argv[1]',
  "a = '\\0' + a[1:] if a.startswith('@') else a",
  's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
  's.connect(a)',
  's.sendall(sys.argv[2].encode())',
].join('\n');

/** The absolute path of an executable on PATH, or undefined. */
function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, command);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // Not here: try the next folder.
    }
  }
  return undefined;
}

/**
 * CLOCK_MONOTONIC in microseconds (libuv's hrtime reads CLOCK_MONOTONIC on Linux), the clock
 * systemd's `MONOTONIC_USEC` is in.
 * @example
 * await notifier.notify({ RELOADING: 1, MONOTONIC_USEC: monotonicMicros().toString() });
 */
export function monotonicMicros(): bigint {
  return process.hrtime.bigint() / 1000n;
}

/** A status line systemd shows in `systemctl status` (one line, bounded). */
function statusLine(text: string): string {
  const line = oneLine(text);
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/**
 * Creates a notifier; without `$NOTIFY_SOCKET` (not under systemd) it does nothing.
 * @example
 * const sd = createSdNotifier({ log: runtime.log });
 * await sd.ready('serving');
 */
export function createSdNotifier(options: SdNotifyOptions = {}): SdNotifier {
  const socket = options.socket ?? process.env.NOTIFY_SOCKET;
  if (options.unsetEnvironment !== false && options.socket === undefined) {
    delete process.env.NOTIFY_SOCKET;
  }
  const log = options.log;
  const wanted = options.transport ?? 'auto';
  let transport: SdNotifyTransport | undefined;
  let binary: string | undefined;
  if (socket) {
    for (const candidate of wanted === 'auto'
      ? (['systemd-notify', 'python3'] as const)
      : [wanted]) {
      binary = which(candidate);
      if (binary) {
        transport = candidate;
        break;
      }
    }
    if (!transport) {
      log?.warn(
        { code: 'HS_ERR_SYSTEMD_NOTIFY', socket },
        `NOTIFY_SOCKET is set but neither systemd-notify nor python3 is on PATH: systemd will not hear from this process`,
      );
    }
  }
  const enabled = Boolean(socket && transport);
  let tail: Promise<void> = Promise.resolve();

  const send = (message: string): Promise<void> =>
    new Promise<void>((done) => {
      const args =
        transport === 'systemd-notify'
          ? message.split('\n')
          : ['-c', pythonSender, socket!, message];
      const child = spawn(binary!, args, {
        env: { ...process.env, NOTIFY_SOCKET: socket },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const fail = (reason: string, cause?: unknown): void => {
        const err = new HotswapError('HS_ERR_SYSTEMD_NOTIFY', `sd_notify failed: ${reason}`, {
          cause,
        });
        log?.warn({ err, message }, err.message);
      };
      child.once('error', (err) => {
        fail(err.message, err);
        done();
      });
      child.once('close', (code) => {
        if (code !== 0) fail(`${transport} exited with ${code}: ${oneLine(stderr) || 'no output'}`);
        done();
      });
    });

  const notifier: SdNotifier = {
    enabled,
    transport,
    socket,
    notify(fields) {
      if (!enabled) return Promise.resolve();
      const message = Object.entries(fields)
        .map(([key, value]) => `${key}=${String(value).replace(/\n/g, ' ')}`)
        .join('\n');
      tail = tail.then(() => send(message));
      return tail;
    },
    ready(status) {
      return notifier.notify(status ? { READY: 1, STATUS: statusLine(status) } : { READY: 1 });
    },
    reloading(status) {
      // Read the clock now, not when the helper runs: systemd compares it with its reload start.
      const fields: Record<string, string | number> = {
        RELOADING: 1,
        MONOTONIC_USEC: monotonicMicros().toString(),
      };
      if (status) fields.STATUS = statusLine(status);
      return notifier.notify(fields);
    },
    stopping(status) {
      return notifier.notify(
        status ? { STOPPING: 1, STATUS: statusLine(status) } : { STOPPING: 1 },
      );
    },
    idle: () => tail,
  };
  return notifier;
}

/** Options of {@link installSystemdNotify}. */
export interface SystemdNotifyOptions extends SdNotifyOptions {
  /** Send `READY=1` now (the process serves). @default true */
  ready?: boolean;
}

/** Removes the listeners; sends `STOPPING=1` first when `stopping` is true. */
export type SystemdNotifyDisposer = (options?: { stopping?: boolean }) => Promise<void>;

/**
 * Tells systemd about the runtime's reloads: `RELOADING=1` at each `reload-start`, `READY=1` at
 * each `reload-end` (with the report's headline as `STATUS`). Does nothing outside systemd.
 * @example
 * const stop = installSystemdNotify(runtime); // READY=1 now
 * // on shutdown:
 * await stop({ stopping: true });             // STOPPING=1
 */
export function installSystemdNotify(
  runtime: Runtime,
  options: SystemdNotifyOptions = {},
): SystemdNotifyDisposer & { readonly notifier: SdNotifier } {
  const notifier = createSdNotifier({ log: runtime.log, ...options });
  const offs: (() => void)[] = [];
  if (notifier.enabled) {
    offs.push(
      runtime.on('reload-start', ({ id, kind, trigger }) => {
        void notifier.reloading(`${kind} #${id} (${describeTrigger(trigger)})`);
      }),
      runtime.on('reload-end', ({ report }) => {
        void notifier.ready(report.summary.split('\n')[0] ?? report.summary);
      }),
    );
    if (options.ready !== false) void notifier.ready(`${runtime.name} ready`);
  }
  const dispose = async (opts: { stopping?: boolean } = {}): Promise<void> => {
    for (const off of offs.splice(0)) off();
    if (opts.stopping) void notifier.stopping(`${runtime.name} stopping`);
    await notifier.idle();
  };
  return Object.assign(dispose, { notifier });
}
