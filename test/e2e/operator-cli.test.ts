/**
 * The `hotswap` CLI against a real running process (examples/operator-demo, started with tsx):
 * every remote command, its human and JSON output, and every exit code (0 ok, 1 failed or
 * rolled back, 2 usage, 3 cannot reach the process); finding the process by name, pid, socket
 * or as the only one; stale sockets; SIGHUP and SIGUSR2 logged with their report.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from '../helpers/build-once.js';
import { cliBin, type Demo, makeRunDir, runCli, startDemo } from '../helpers/operator-demo.js';
import { killAll } from '../helpers/process.js';

beforeAll(() => buildOnce(['dist/cli/bin.js', 'dist/operator.js', 'dist/index.js']), 180_000);
afterAll(() => killAll());

const me = userInfo().username;

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url);
  return { status: res.status, text: (await res.text()).trim() };
}

const brokenGreeter = `export function greet(name: string, greeting: string): string {
  return \`\${greeting}, \${name}\` +;
}
`;
const goodGreeter = (
  suffix: string,
) => `export function greet(name: string, greeting: string, punctuation: string): string {
  return \`\${greeting}, \${name}\${punctuation}${suffix}\`;
}
`;

describe('commands against one running process', () => {
  let demo: Demo;
  beforeAll(async () => {
    demo = await startDemo();
  }, 60_000);
  afterAll(() => demo?.stop());

  it('status: units with generations, workers and leases; --json is the runtime status', async () => {
    const human = await demo.cli(['status']);
    expect(human).toMatchObject({ code: 0, stderr: '' });
    expect(human.stdout).toContain(`operator-demo (pid ${demo.pid}): idle`);
    expect(human.stdout).toMatch(/config\s+config\s+gen 1\s+active\s+added/);
    expect(human.stdout).toMatch(/greeter\s+module\s+gen 1/);
    expect(human.stdout).toContain('worker ticker: running, 0 restarts');
    const json = await demo.cli(['status', '--json']);
    expect(json.code).toBe(0);
    const status = JSON.parse(json.stdout);
    expect(status.units.map((u: { name: string }) => u.name)).toEqual([
      'config',
      'code',
      'greeter',
      'ticker',
    ]);
    expect(status).toMatchObject({ name: 'operator-demo', draining: false, leases: { total: 0 } });
  });

  it('reload: every unit, then one unit; the trigger names the control socket and the user', async () => {
    const all = await demo.cli(['reload', '--json']);
    expect(all.code).toBe(0);
    const report = JSON.parse(all.stdout);
    expect(report).toMatchObject({
      ok: true,
      requested: 'all',
      trigger: { kind: 'control', by: me },
    });
    const one = await demo.cli(['reload', 'greeter']);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^✔ reload #\d+ \(control by \S+\): /);
    const history = JSON.parse((await demo.cli(['history', '--json', '--limit', '1'])).stdout);
    expect(history).toHaveLength(1);
    expect(history[0].requested).toEqual(['greeter']);
  });

  it('reload of a broken module exits 1 with file, line and frame; the old version serves on', async () => {
    const before = await get(`${demo.base}/hello?name=ada`);
    expect(before).toEqual({ status: 200, text: 'Hello, ada!' });
    demo.app.write({ 'greeter.ts': brokenGreeter });
    const failed = await demo.cli(['reload']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/✖ reload #\d+ \(control by \S+\) failed: nothing changed/);
    expect(failed.stdout).toContain('greeter.ts:2');
    expect(failed.stdout).toMatch(/> 2 \|/);
    expect(await get(`${demo.base}/hello?name=ada`)).toEqual(before);

    const status = await demo.cli(['status']);
    expect(status.code).toBe(1); // the error state
    expect(status.stdout).toMatch(/✖ error state: reload #\d+ failed/);

    demo.app.write({ 'greeter.ts': goodGreeter(' (v2)') });
    const fixed = await demo.cli(['reload']);
    expect(fixed.code).toBe(0);
    expect(await get(`${demo.base}/hello?name=ada`)).toEqual({
      status: 200,
      text: 'Hello, ada! (v2)',
    });
    expect((await demo.cli(['status'])).code).toBe(0);
  });

  it('rehash reloads the configuration only; an invalid config exits 1 and changes nothing', async () => {
    demo.app.write({ 'config.yaml': 'greeting: Hi\npunctuation: "?"\n' });
    const ok = await demo.cli(['rehash', '--json']);
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.stdout);
    expect(report.requested).toEqual(['config']);
    expect(report.units.map((u: { name: string }) => u.name)).toEqual(['config', 'greeter']);
    expect((await get(`${demo.base}/hello?name=bo`)).text).toBe('Hi, bo? (v2)');

    demo.app.write({ 'config.yaml': 'greeting: ""\npunctuation: "?"\n' });
    const bad = await demo.cli(['rehash']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('HS_ERR_CONFIG_INVALID');
    expect((await get(`${demo.base}/hello?name=bo`)).text).toBe('Hi, bo? (v2)');
    demo.app.write({ 'config.yaml': 'greeting: Hi\npunctuation: "?"\n' });
    expect((await demo.cli(['rehash'])).code).toBe(0);
  });

  it('rollback returns a unit to an earlier version; too many steps exits 1; bad steps exit 2', async () => {
    const back = await demo.cli(['rollback', 'config', '--steps', '1', '--json']);
    expect(back.code).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({ kind: 'rollback', ok: true });
    expect((await get(`${demo.base}/hello?name=cy`)).text).toBe('Hello, cy! (v2)');

    const tooFar = await demo.cli(['rollback', 'greeter', '--steps', '40']);
    expect(tooFar.code).toBe(1);
    expect(tooFar.stdout).toContain('HS_ERR_UNIT_ROLLBACK');
    expect((await get(`${demo.base}/hello?name=cy`)).text).toBe('Hello, cy! (v2)');

    const usage = await demo.cli(['rollback', '--steps', 'zero']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--steps takes a positive integer');

    // The failed rollback left the error state; the next successful reload clears it.
    expect((await demo.cli(['status'])).code).toBe(1);
    expect((await demo.cli(['reload'])).code).toBe(0);
    expect((await demo.cli(['status'])).code).toBe(0);
  });

  it('drain waits for in-flight work (exit 1 when the timeout passes first); undrain takes work again', async () => {
    expect((await get(`${demo.base}/hold`)).text).toBe('holding 1 lease(s)');
    const timedOut = await demo.cli(['drain', '--timeout', '100']);
    expect(timedOut.code).toBe(1);
    expect(timedOut.stdout).toMatch(
      /drain timed out after \d+ ms; still in flight:\n\s+greeter generation \d+: 1 lease/,
    );
    expect(await get(`${demo.base}/hello`)).toMatchObject({ status: 503 });
    expect(JSON.parse((await demo.cli(['status', '--json'])).stdout).draining).toBe(true);

    const undrain = await demo.cli(['undrain']);
    expect(undrain).toMatchObject({ code: 0, stdout: '✔ not draining: new work is accepted\n' });
    expect(await get(`${demo.base}/release`)).toEqual({ status: 200, text: 'released' });

    const drained = await demo.cli(['drain', '--json']);
    expect(drained.code).toBe(0);
    expect(JSON.parse(drained.stdout)).toMatchObject({ drained: true, stragglers: [] });
    expect((await demo.cli(['undrain', '--json'])).stdout).toContain('"draining": false');
    expect(await get(`${demo.base}/hello?name=di`)).toMatchObject({ status: 200 });

    // The drain timeout is the runtime's error state until a reload succeeds.
    const status = await demo.cli(['status']);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain('✖ error state: drain greeter failed: HS_ERR_LEASE_TIMEOUT');
    expect((await demo.cli(['reload'])).code).toBe(0);
    expect((await demo.cli(['status'])).code).toBe(0);
  });

  it('history lists every report, oldest first, failures included', async () => {
    const human = await demo.cli(['history']);
    expect(human.code).toBe(0);
    const lines = human.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^#1\s+\S+ \S+\s+reload\s+ok\s+startup\s+4 added/);
    expect(lines.some((l) => /reload\s+failed\s+control by/.test(l))).toBe(true);
    expect(lines.some((l) => /rollback\s+ok\s+control by/.test(l))).toBe(true);
    const json = JSON.parse((await demo.cli(['history', '--json'])).stdout);
    expect(json.map((r: { id: number }) => r.id)).toEqual(
      json.map((_: unknown, i: number) => i + 1),
    );
  });

  it('config reload|snapshots|rollback|show drive the config unit and print what changed', async () => {
    demo.app.write({ 'config.yaml': 'greeting: Hello\npunctuation: "!"\n' });
    expect((await demo.cli(['config', 'reload'])).code).toBe(0);
    demo.app.write({ 'config.yaml': 'greeting: Howdy\npunctuation: "!"\napiKey: sk-secret-1\n' });
    const reload = await demo.cli(['config', 'reload']);
    expect(reload.code).toBe(0);
    expect(reload.stdout).toContain('✔ config reloaded');
    expect(reload.stdout).toContain('~ greeting: "Hello" -> "Howdy"');
    expect(reload.stdout).not.toContain('sk-secret-1');
    expect((await get(`${demo.base}/hello?name=ed`)).text).toMatch(/^Howdy, ed!/);

    const snapshots = await demo.cli(['config', 'snapshots']);
    expect(snapshots.code).toBe(0);
    expect(snapshots.stdout).toMatch(/snapshots, newest first:/);
    expect(snapshots.stdout).toMatch(/control\s+\* live/);

    const show = await demo.cli(['config', 'show', '--json']);
    expect(show.code).toBe(0);
    const shown = JSON.parse(show.stdout);
    expect(shown.config).toMatchObject({ greeting: 'Howdy', apiKey: '[redacted]' });
    expect(shown.info).toMatchObject({ name: 'config', loaded: true });
    const human = await demo.cli(['config', 'show']);
    expect(human.stdout).toContain('config: generation');
    expect(human.stdout).toContain('"greeting": "Howdy"');

    const back = await demo.cli(['config', 'rollback']);
    expect(back.code).toBe(0);
    expect(back.stdout).toContain('✔ config rolled back');
    expect((await get(`${demo.base}/hello?name=ed`)).text).toMatch(/^Hello, ed!/);

    demo.app.write({ 'config.yaml': 'greeting: ""\npunctuation: 7\n' });
    const invalid = await demo.cli(['config', 'reload']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/✖ greeting: /);
    expect(invalid.stderr).toMatch(/at config\.yaml:1/);
    expect(invalid.stderr).toMatch(/> 1 \| greeting: ""/);
    expect((await get(`${demo.base}/hello?name=ed`)).text).toMatch(/^Hello, ed!/);

    const notConfig = await demo.cli(['config', 'show', '--unit', 'greeter']);
    expect(notConfig.code).toBe(2);
    expect(notConfig.stderr).toContain('greeter is a module unit, not a config');

    demo.app.write({ 'config.yaml': 'greeting: Hello\npunctuation: "!"\n' });
    expect((await demo.cli(['config', 'reload'])).code).toBe(0);
  });

  it('usage errors exit 2: unknown command (with the nearest name), unknown unit, two targets', async () => {
    const typo = await demo.cli(['relaod']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("unknown command 'relaod'");
    expect(typo.stderr).toContain('Did you mean reload?');
    const unit = await demo.cli(['reload', 'greter']);
    expect(unit.code).toBe(2);
    expect(unit.stderr).toContain('no unit named greter is registered');
    expect(unit.stderr).toContain('did you mean greeter?');
    const two = await demo.cli(['status', '--name', 'operator-demo', '--pid', String(demo.pid)]);
    expect(two.code).toBe(2);
    const pid = await demo.cli(['status', '--pid', 'abc']);
    expect(pid.code).toBe(2);
  });

  it('finds the process by name, pid or socket path; an unknown one exits 3', async () => {
    for (const args of [
      ['--name', 'operator-demo'],
      ['--pid', String(demo.pid)],
      ['--socket', demo.socket],
      [],
    ]) {
      const r = await demo.cli(['history', '--json', '--limit', '1', ...args]);
      expect(r.code, args.join(' ')).toBe(0);
    }
    const name = await demo.cli(['status', '--name', 'other']);
    expect(name.code).toBe(3);
    expect(name.stderr).toContain('no process named other');
    expect(name.stderr).toContain(`running: operator-demo (pid ${demo.pid})`);
    expect((await demo.cli(['status', '--pid', '1'])).code).toBe(3);
  });

  it('colours its output on a terminal only', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOTSWAP_RUNTIME_DIR: demo.runDir,
      TERM: 'xterm-256color',
    };
    delete env.NO_COLOR;
    delete env.FORCE_COLOR;
    const run = (command: string, args: string[]) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d;
        });
        child.on('error', reject);
        child.on('close', () => resolve(out));
      });
    const piped = await run(process.execPath, [cliBin, 'status']);
    expect(piped).toContain('operator-demo');
    expect(piped).not.toContain('\x1b[');
    // `script` gives the command a pseudo-terminal, as an operator's shell does.
    const onTty = await run('script', [
      '-qec',
      `${process.execPath} ${cliBin} status`,
      '/dev/null',
    ]);
    expect(onTty).toContain('\x1b[32midle\x1b[39m');
  });

  it('SIGHUP rehashes and SIGUSR2 reloads, each logged with its report', async () => {
    const from = demo.process.stderr.length;
    demo.process.child.kill('SIGHUP');
    const hup = JSON.parse(
      await demo.process.waitFor('stderr', (l) => l.includes('"msg":"SIGHUP → rehash'), from),
    );
    expect(hup).toMatchObject({ level: 30, signal: 'SIGHUP', action: 'rehash', ok: true });
    expect(hup.report).toMatchObject({
      trigger: { kind: 'signal', by: 'SIGHUP' },
      requested: ['config'],
    });
    demo.process.child.kill('SIGUSR2');
    const usr2 = JSON.parse(
      await demo.process.waitFor('stderr', (l) => l.includes('"msg":"SIGUSR2 → reload'), from),
    );
    expect(usr2).toMatchObject({ action: 'reload', ok: true, report: { requested: 'all' } });

    // A failing rehash is logged as an error, with the failure in its report.
    demo.app.write({ 'config.yaml': 'greeting: [\n' });
    const at = demo.process.stderr.length;
    demo.process.child.kill('SIGHUP');
    const failed = JSON.parse(
      await demo.process.waitFor('stderr', (l) => l.includes('"msg":"SIGHUP → rehash'), at),
    );
    expect(failed).toMatchObject({ level: 50, ok: false });
    expect(failed.msg).toContain('HS_ERR_CONFIG_PARSE');
  });
});

describe('finding processes', () => {
  afterEach(() => killAll());

  it('with several running, a command without a target exits 2 and lists them', async () => {
    const runDir = makeRunDir();
    const a = await startDemo({ name: 'alpha', runDir });
    const b = await startDemo({ name: 'beta', runDir });
    try {
      const none = await runCli(['status'], runDir);
      expect(none.code).toBe(2);
      expect(none.stderr).toContain(`alpha (pid ${a.pid}), beta (pid ${b.pid})`);
      expect(none.stderr).toContain('choose one with --name or --pid');
      const beta = await runCli(['status', '--json', '--name', 'beta'], runDir);
      expect(JSON.parse(beta.stdout).name).toBe('beta');
      const alpha = await runCli(['status', '--json', '--pid', String(a.pid)], runDir);
      expect(JSON.parse(alpha.stdout).name).toBe('alpha');
    } finally {
      await a.stop();
      await b.stop();
      rmSync(runDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a killed process leaves a stale socket: the CLI says so (exit 3); a new process cleans it up', async () => {
    const runDir = makeRunDir();
    const first = await startDemo({ name: 'phoenix', runDir });
    first.process.child.kill('SIGKILL');
    await first.process.exited;
    try {
      const stale = await runCli(['status', '--socket', first.socket], runDir);
      expect(stale.code).toBe(3);
      expect(stale.stderr).toContain('the process is gone; the socket is stale');
      const byName = await runCli(['status', '--name', 'phoenix'], runDir);
      expect(byName.code).toBe(3);
      expect(byName.stderr).toContain(`phoenix (pid ${first.pid}) is gone`);
      expect((await runCli(['status'], runDir)).code).toBe(3); // the dead one is not "the only one"

      const second = await startDemo({ name: 'phoenix', runDir });
      const status = await runCli(['status', '--json'], runDir);
      expect(status.code).toBe(0);
      expect(second.socket).toBe(first.socket);
      await second.stop();
      expect((await runCli(['status'], runDir)).stderr).toContain('no running hotswap process');
    } finally {
      await first.stop();
      rmSync(runDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('with no process at all, every command exits 3', async () => {
    const runDir = makeRunDir();
    try {
      for (const args of [['status'], ['reload'], ['history'], ['config', 'show']]) {
        const r = await runCli(args, runDir);
        expect(r.code, args.join(' ')).toBe(3);
        expect(r.stderr).toContain(`no running hotswap process found in ${runDir}`);
      }
    } finally {
      rmSync(runDir, { recursive: true, force: true });
    }
  });
});

describe('the CLI as a pipe writer', () => {
  it('exits 0 without a stack trace when the reader is gone (hotswap --help | head -1)', async () => {
    const child = spawn(process.execPath, [cliBin, '--help'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    // Close our end before it writes, as a `head` that is already done has.
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
  });
});
