/**
 * sd_notify as systemd sees it, read from a real AF_UNIX datagram socket: READY=1 at startup,
 * RELOADING=1 with MONOTONIC_USEC (CLOCK_MONOTONIC) when a reload starts and READY=1 when it
 * ends (from the CLI and from SIGHUP), STOPPING=1 on the way out; both helpers (systemd-notify
 * and python3), the abstract namespace, and nothing at all outside systemd.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSdNotifier } from '../../src/operator.js';
import { buildOnce } from '../helpers/build-once.js';
import { startNotifyListener } from '../helpers/notify-listener.js';
import { type Demo, startDemo } from '../helpers/operator-demo.js';
import { killAll } from '../helpers/process.js';

beforeAll(() => buildOnce(['dist/cli/bin.js', 'dist/operator.js', 'dist/index.js']), 180_000);
afterAll(() => killAll());

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function socketPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hs-sd-'));
  dirs.push(dir);
  return join(dir, 'notify.sock');
}

/** CLOCK_MONOTONIC now, in microseconds (what the listener stamps arrivals with). */
const monotonicNow = () => Number(process.hrtime.bigint() / 1000n);

describe('a service under Type=notify-reload', () => {
  let demo: Demo;
  afterEach(() => demo?.stop());

  it('says READY=1 at start, RELOADING=1 then READY=1 around each reload, STOPPING=1 at the end', async () => {
    const path = socketPath();
    const listener = await startNotifyListener(path);
    const startedAt = monotonicNow();
    demo = await startDemo({ env: { NOTIFY_SOCKET: path } });

    const ready = await listener.next((f) => f.READY === '1');
    expect(ready.fields).toEqual({ READY: '1', STATUS: 'operator-demo ready' });

    // A reload from the CLI.
    let from = listener.received.length;
    expect((await demo.cli(['reload'])).code).toBe(0);
    const reloading = await listener.next((f) => f.RELOADING === '1', from);
    const monotonic = Number(reloading.fields.MONOTONIC_USEC);
    expect(reloading.fields.STATUS).toMatch(/^reload #\d+ \(control by \S+\)$/);
    // CLOCK_MONOTONIC, read when the reload started: after this test began, before it arrived.
    expect(monotonic).toBeGreaterThanOrEqual(startedAt);
    expect(monotonic).toBeLessThanOrEqual(reloading.at);
    const done = await listener.next((f) => f.READY === '1', from);
    expect(done.fields.STATUS).toMatch(/^reload #\d+ \(control by \S+\): 4 unchanged in /);
    expect(listener.received.slice(from).map((n) => Object.keys(n.fields)[0])).toEqual([
      'RELOADING',
      'READY',
    ]);

    // SIGHUP, as `systemctl reload` sends it (ReloadSignal=SIGHUP): a rehash.
    from = listener.received.length;
    demo.process.child.kill('SIGHUP');
    const hup = await listener.next((f) => f.RELOADING === '1', from);
    expect(hup.fields.STATUS).toMatch(/^reload #\d+ \(signal by SIGHUP\)$/);
    const hupDone = await listener.next((f) => f.READY === '1', from);
    expect(hupDone.fields.STATUS).toMatch(/\(signal by SIGHUP\): 2 unchanged in /);

    // A failed reload still ends with READY=1 (the old version serves), its status says so.
    demo.app.write({ 'config.yaml': 'greeting: [\n' });
    from = listener.received.length;
    expect((await demo.cli(['rehash'])).code).toBe(1);
    const failed = await listener.next((f) => f.READY === '1', from);
    expect(failed.fields.STATUS).toMatch(/failed: nothing changed$/);

    from = listener.received.length;
    demo.process.child.kill('SIGTERM');
    const stopping = await listener.next((f) => f.STOPPING === '1', from);
    expect(stopping.fields).toEqual({ STOPPING: '1', STATUS: 'operator-demo stopping' });
    await demo.process.exited;
  }, 60_000);
});

describe('createSdNotifier', () => {
  it('sends through python3 when asked, and to an abstract-namespace socket', async () => {
    const path = socketPath();
    const listener = await startNotifyListener(path);
    const viaPython = createSdNotifier({ socket: path, transport: 'python3' });
    expect(viaPython).toMatchObject({ enabled: true, transport: 'python3' });
    await viaPython.reloading('python says');
    await viaPython.ready();
    const [reloading, ready] = listener.received;
    expect(reloading?.fields).toMatchObject({ RELOADING: '1', STATUS: 'python says' });
    expect(Number(reloading?.fields.MONOTONIC_USEC)).toBeLessThanOrEqual(reloading?.at ?? 0);
    expect(ready?.fields).toEqual({ READY: '1' });

    const abstract = `@hotswap-test-${process.pid}`;
    const hidden = await startNotifyListener(abstract);
    const viaSystemd = createSdNotifier({ socket: abstract, transport: 'systemd-notify' });
    expect(viaSystemd.transport).toBe('systemd-notify');
    await viaSystemd.stopping('bye');
    expect(hidden.received.map((n) => n.fields)).toEqual([{ STOPPING: '1', STATUS: 'bye' }]);
  });

  it('does nothing without NOTIFY_SOCKET, and logs HS_ERR_SYSTEMD_NOTIFY when sending fails', async () => {
    const before = process.env.NOTIFY_SOCKET;
    delete process.env.NOTIFY_SOCKET;
    const quiet = createSdNotifier();
    expect(quiet).toMatchObject({ enabled: false, socket: undefined });
    await quiet.ready('nobody listens');
    if (before !== undefined) process.env.NOTIFY_SOCKET = before;

    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const nowhere = createSdNotifier({ socket: socketPath(), log });
    expect(nowhere.enabled).toBe(true);
    await nowhere.ready('into the void');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] as string);
    expect(entry.err.code).toBe('HS_ERR_SYSTEMD_NOTIFY');
    expect(entry.msg).toMatch(/^sd_notify failed: systemd-notify exited with 1/);
  });
});
