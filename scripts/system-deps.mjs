#!/usr/bin/env node
// Makes sure the real servers the end-to-end suites talk to are installed: ngircd (IRC),
// mosquitto (MQTT) and chromium (dashboard). npm cannot install them; Debian's packages can.
// When one is missing and apt-get is usable, it is installed here; otherwise the suite that
// needs it skips and says why, loudly. The result is written for the suites to read.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const statusFile = join(root, 'test', '.work', 'system-deps.json');

/** Binary → Debian package that provides it. */
const wanted = [
  { name: 'ngircd', bins: ['/usr/sbin/ngircd', '/usr/bin/ngircd'], pkg: 'ngircd' },
  { name: 'mosquitto', bins: ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'], pkg: 'mosquitto' },
  { name: 'chromium', bins: ['/usr/bin/chromium', '/usr/bin/chromium-browser'], pkg: 'chromium' },
];

function findBinary(bins) {
  for (const bin of bins) {
    try {
      accessSync(bin, constants.X_OK);
      return bin;
    } catch {}
  }
  return undefined;
}

function canApt() {
  if (process.platform !== 'linux') return 'not Linux';
  if (spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status !== 0)
    return 'apt-get is not available';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    if (spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status !== 0)
      return 'not root and no password-less sudo';
    return 'sudo';
  }
  return 'root';
}

const missing = wanted.filter((w) => !findBinary(w.bins));
const reasons = {};
if (missing.length > 0) {
  const apt = canApt();
  if (apt === 'root' || apt === 'sudo') {
    const prefix = apt === 'sudo' ? ['sudo', '-n'] : [];
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const pkgs = missing.map((m) => m.pkg);
    console.log(
      `[system-deps] installing ${pkgs.join(', ')} with apt-get (needed by end-to-end suites)`,
    );
    const run = (args) => {
      const [cmd, ...rest] = [...prefix, ...args];
      return spawnSync(cmd, rest, { stdio: ['ignore', 'ignore', 'inherit'], env }).status;
    };
    run(['apt-get', 'update', '-qq']);
    // One package at a time, so one that cannot be had does not block the others.
    for (const m of missing) {
      const status = run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', m.pkg]);
      if (status !== 0) reasons[m.name] = `apt-get install ${m.pkg} failed (exit ${status})`;
    }
  } else {
    for (const m of missing) reasons[m.name] = `${m.name} is not installed and ${apt}`;
  }
}

const status = {};
for (const w of wanted) {
  const bin = findBinary(w.bins);
  status[w.name] = bin
    ? { available: true, path: bin }
    : { available: false, reason: reasons[w.name] ?? `${w.name} not found` };
  if (!bin) {
    console.log(`\n!!! [system-deps] ${w.name} is NOT available: ${status[w.name].reason}.`);
    console.log(`!!! The suites that need a real ${w.name} will be SKIPPED and say so.\n`);
  }
}
mkdirSync(dirname(statusFile), { recursive: true });
writeFileSync(statusFile, `${JSON.stringify(status, null, 2)}\n`);
