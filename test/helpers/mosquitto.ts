/**
 * A real mosquitto broker per test: a generated config (listeners on 127.0.0.1 only, anonymous
 * clients allowed, persistence off, optional users and ACL), free ports, started as a child
 * process, ready when it says it is running, stopped (and its folder removed) by the caller.
 *
 * Whether mosquitto is installed is read from `test/.work/system-deps.json`, which
 * `scripts/system-deps.mjs` writes (npm test runs it first; it installs mosquitto with apt-get
 * when it can). No vitest import: the MQTT benchmark uses this helper too.
 */
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Tracked, track } from './process.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const statusFile = join(root, 'test', '.work', 'system-deps.json');

/** Whether a real broker can be started here, and why not. */
export type MosquittoAvailability =
  | { available: true; path: string }
  | { available: false; reason: string };

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads `test/.work/system-deps.json` (or `file`). When it does not exist (a suite run alone,
 * before any `npm test`), the usual install paths are probed instead.
 */
export function mosquittoAvailability(file = statusFile): MosquittoAvailability {
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    for (const path of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto']) {
      if (executable(path)) return { available: true, path };
    }
    return {
      available: false,
      reason: `mosquitto is not installed, and ${file} does not exist: run \`node scripts/system-deps.mjs\` (npm test does), which installs it with apt-get when it can`,
    };
  }
  let recorded: { available?: boolean; path?: string; reason?: string } | undefined;
  try {
    recorded = (JSON.parse(text) as { mosquitto?: typeof recorded }).mosquitto;
  } catch {
    return { available: false, reason: `${file} is not valid JSON` };
  }
  if (recorded?.available === true && recorded.path) {
    if (executable(recorded.path)) return { available: true, path: recorded.path };
    return { available: false, reason: `${recorded.path} (from ${file}) is no longer executable` };
  }
  return { available: false, reason: recorded?.reason ?? `${file} has no mosquitto entry` };
}

/** Prints a loud banner when mosquitto is missing; returns whether suites may run. */
export function requireMosquitto(suite: string, file?: string): MosquittoAvailability {
  const availability = mosquittoAvailability(file);
  if (!availability.available) {
    const line = '!'.repeat(78);
    console.warn(
      `\n${line}\n!!! ${suite}: SKIPPED, no real MQTT broker: ${availability.reason}\n${line}\n`,
    );
  }
  return availability;
}

/** A free TCP port on 127.0.0.1 (free when asked: the broker retries if it was taken since). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Options of {@link startMosquitto}. */
export interface BrokerOptions {
  /** Listeners (each its own port, one broker behind them). @default 1 */
  listeners?: number;
  /** Users and passwords (a password file); anonymous clients stay allowed. */
  users?: Record<string, string>;
  /** Contents of an ACL file (mosquitto's syntax). */
  acl?: string;
}

/** A running broker. */
export interface Broker {
  /** The first listener's port. */
  readonly port: number;
  /** Every listener's port. */
  readonly ports: readonly number[];
  /** `mqtt://127.0.0.1:<port>` of the first listener. */
  readonly url: string;
  /** The broker's log lines (stderr). */
  readonly log: readonly string[];
  /** Resolves the first log line (past or future) matching `pattern`. */
  waitForLog(pattern: RegExp): Promise<string>;
  /** Stops the broker and removes its folder. */
  stop(): Promise<void>;
}

/** Starts a mosquitto on free ports of 127.0.0.1; rejects when it is not installed. */
export async function startMosquitto(options: BrokerOptions = {}): Promise<Broker> {
  const availability = mosquittoAvailability();
  if (!availability.available) throw new Error(`mosquitto unavailable: ${availability.reason}`);
  let lastError: unknown;
  // A port found free can be taken before the broker binds it: try again with new ones.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(availability.path, options);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function startOnce(bin: string, options: BrokerOptions): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), 'hs-mosquitto-'));
  const ports: number[] = [];
  for (let i = 0; i < (options.listeners ?? 1); i++) ports.push(await freePort());
  const lines = [
    'per_listener_settings false',
    'allow_anonymous true',
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'connection_messages true',
    // The benchmark queues thousands of QoS 1 messages per client while clients swap.
    'max_queued_messages 0',
    'max_inflight_messages 0',
  ];
  if (options.users) {
    const file = join(dir, 'passwords');
    const entries = Object.entries(options.users);
    entries.forEach(([user, password], i) => {
      const args = i === 0 ? ['-c', '-b', file, user, password] : ['-b', file, user, password];
      const made = spawnSync('mosquitto_passwd', args, { encoding: 'utf8' });
      if (made.status !== 0) throw new Error(`mosquitto_passwd failed: ${made.stderr}`);
    });
    lines.push(`password_file ${file}`);
  }
  if (options.acl !== undefined) {
    const file = join(dir, 'acl');
    writeFileSync(file, options.acl);
    lines.push(`acl_file ${file}`);
  }
  for (const port of ports) lines.push(`listener ${port} 127.0.0.1`);
  const config = join(dir, 'mosquitto.conf');
  writeFileSync(config, `${lines.join('\n')}\n`);
  // Started as root, mosquitto drops to its own user, which must still read these files.
  chmodSync(dir, 0o755);
  for (const file of ['passwords', 'acl']) {
    try {
      chmodSync(join(dir, file), 0o644);
    } catch {
      // Not written for this broker.
    }
  }

  const child: Tracked = track(bin, ['-c', config]);
  const cleanup = async (): Promise<void> => {
    await child.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await child.waitFor('stderr', /mosquitto version .* running/);
  } catch (err) {
    await cleanup();
    throw new Error(`mosquitto did not start: ${(err as Error).message}`);
  }
  const port = ports[0] as number;
  return {
    port,
    ports,
    url: `mqtt://127.0.0.1:${port}`,
    log: child.stderr,
    waitForLog: (pattern) => child.waitFor('stderr', pattern),
    stop: cleanup,
  };
}
