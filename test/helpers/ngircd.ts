/**
 * A real IRC server for end-to-end tests: Debian's ngircd, on 127.0.0.1 and a free port, with a
 * generated configuration and one IRC operator, run in the foreground (`-n`) as a child the test
 * stops. `scripts/system-deps.mjs` installs it; when it is missing, `ngircdAvailability()` says
 * why, for the suite to skip loudly.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Tracked, track } from './process.js';

const work = join(dirname(fileURLToPath(import.meta.url)), '..', '.work');

/** Whether ngircd can be run here, and where it is, or why not. */
export function ngircdAvailability():
  | { available: true; path: string }
  | { available: false; reason: string } {
  const statusFile = join(work, 'system-deps.json');
  if (existsSync(statusFile)) {
    const status = JSON.parse(readFileSync(statusFile, 'utf8')) as {
      ngircd?: { available: boolean; path?: string; reason?: string };
    };
    const ngircd = status.ngircd;
    if (ngircd?.available && ngircd.path && existsSync(ngircd.path)) {
      return { available: true, path: ngircd.path };
    }
    if (ngircd && !ngircd.available) {
      return { available: false, reason: ngircd.reason ?? 'ngircd not found' };
    }
  }
  for (const path of ['/usr/sbin/ngircd', '/usr/bin/ngircd']) {
    if (existsSync(path)) return { available: true, path };
  }
  return {
    available: false,
    reason: 'ngircd is not installed (run `node scripts/system-deps.mjs`, or `npm test`, as root)',
  };
}

/** A running ngircd. */
export interface Ngircd {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The operator block: `OPER <name> <password>` makes a client an IRC operator. */
  readonly operator: { name: string; password: string };
  readonly process: Tracked;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** Starts ngircd on a free port and resolves once it listens. */
export async function startNgircd(): Promise<Ngircd> {
  const availability = ngircdAvailability();
  if (!availability.available) throw new Error(availability.reason);
  mkdirSync(work, { recursive: true });
  const dir = mkdtempSync(join(work, 'ngircd-'));
  const operator = { name: 'hsoper', password: 'hs-oper-pass' };
  // A port can be taken between the probe and the bind: try a few.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const conf = join(dir, 'ngircd.conf');
    writeFileSync(conf, configuration(port, operator));
    const child = track(availability.path, ['-n', '-f', conf]);
    const listening = new RegExp(`Now listening on \\[127\\.0\\.0\\.1\\]:${port}\\b`);
    const ready = await Promise.race([
      child.waitFor('stdout', listening).then(() => true),
      child.exited.then(() => false),
    ]);
    if (ready) {
      return {
        host: '127.0.0.1',
        port,
        operator,
        process: child,
        async stop() {
          await child.kill();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    if (attempt >= 4) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(
        `ngircd did not start:\n${child.stdout.join('\n')}\n${child.stderr.join('\n')}`,
      );
    }
  }
}

function configuration(port: number, operator: { name: string; password: string }): string {
  return `[Global]
  Name = irc.hotswap.test
  Info = hotswap end-to-end tests
  AdminInfo1 = hotswap tests
  AdminInfo2 = 127.0.0.1 only
  AdminEMail = tests@hotswap.invalid
  Listen = 127.0.0.1
  Ports = ${port}
  MotdPhrase = "hotswap tests"

[Limits]
  # Tests talk fast from one address: no penalties, no per-address limit.
  MaxPenaltyTime = 0
  MaxConnectionsIP = 0
  MaxNickLength = 30
  PingTimeout = 600
  PongTimeout = 600

[Options]
  DNS = no
  Ident = no
  PAM = no

[Operator]
  Name = ${operator.name}
  Password = ${operator.password}
`;
}
