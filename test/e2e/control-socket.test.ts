/**
 * The control socket and HTTP control on real sockets, with a runtime in this process: bad
 * requests get an error and change nothing, the socket is private (0600 in a 0700 folder) and a
 * client running as another user (nobody) is refused by the operating system, unsafe folders
 * and taken names are refused, and HTTP control needs its bearer token.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createConfig, createRuntime, type Runtime } from '../../src/index.js';
import {
  connectControlSocket,
  readOnlyOps,
  serveControlSocket,
  serveHttpControl,
} from '../../src/operator.js';
import { buildOnce } from '../helpers/build-once.js';
import { runCli } from '../helpers/operator-demo.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(mode = 0o700): string {
  const dir = mkdtempSync(join(tmpdir(), 'hs-ctl-'));
  chmodSync(dir, mode);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function runtimeWithUnits(): Promise<Runtime> {
  const dir = tempDir();
  writeFileSync(join(dir, 'config.yaml'), 'greeting: hi\n');
  const runtime = createRuntime({ name: 'ctl', logger: false });
  runtime.add(createConfig({ files: ['config.yaml'], cwd: dir, env: false }));
  runtime.register({ name: 'greeter', versionSource: () => ({ greet: () => 'hi' }) });
  await runtime.reload();
  cleanups.push(() => runtime.close());
  return runtime;
}

/** Whatever JSON.parse returns: replies are checked by shape in the tests. */
type Json = ReturnType<typeof JSON.parse>;

/** A raw connection: write anything, read reply lines one by one. */
async function raw(path: string) {
  const socket: Socket = connect(path);
  await once(socket, 'connect');
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
      lines.push(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
      for (const w of waiters.splice(0)) w();
    }
  });
  const ended = once(socket, 'end').then(() => undefined);
  let read = 0;
  cleanups.push(() => socket.destroy());
  return {
    socket,
    ended,
    send(text: string) {
      socket.write(text);
    },
    async next(): Promise<Json> {
      while (lines.length <= read) await new Promise<void>((r) => waiters.push(r));
      return JSON.parse(lines[read++] as string);
    },
  };
}

/** What a bad request must not change. */
function fingerprint(runtime: Runtime) {
  const status = runtime.status();
  return {
    reloads: status.reloads,
    history: runtime.history().length,
    draining: status.draining,
    generations: status.units.map((u) => `${u.name}@${u.generation}`),
  };
}

describe('requests', () => {
  it('answers malformed, unknown and mistyped requests with an error and changes nothing', async () => {
    const runtime = await runtimeWithUnits();
    const control = await serveControlSocket(runtime, { dir: tempDir() });
    cleanups.push(() => control.close());
    let started = 0;
    cleanups.push(runtime.on('reload-start', () => void started++));
    const before = fingerprint(runtime);
    const client = await raw(control.path);
    const cases: [string, RegExp][] = [
      ['this is not json', /^request is not JSON/],
      ['[1, 2]', /^a request is a JSON object/],
      ['"reload"', /^a request is a JSON object/],
      ['{"units": ["greeter"]}', /^a request needs an "op" string/],
      ['{"op": "relaod"}', /^unknown op "relaod"$/],
      ['{"op": "reload", "units": "greeter"}', /^bad reload request: units: Invalid type/],
      ['{"op": "reload", "units": [1]}', /^bad reload request: units\.0: Invalid type/],
      ['{"op": "rollback", "steps": 0}', /^bad rollback request: steps: Invalid value/],
      ['{"op": "rollback", "steps": 1.5}', /^bad rollback request: steps: Invalid integer/],
      ['{"op": "drain", "timeout": "soon"}', /^bad drain request: timeout: Invalid type/],
      ['{"op": "reload", "code": "process.exit(1)"}', /^bad reload request: unknown field "code"/],
      ['{"op": "reload", "path": "/etc/passwd"}', /^bad reload request: unknown field "path"/],
      ['{"op": "status", "id": {"nested": true}}', /^bad status request: id: Invalid type/],
      ['{"op": "reload", "units": ["../../etc/passwd"]}', /^no unit named \.\.\/\.\.\/etc\/passwd/],
    ];
    for (const [line, message] of cases) {
      client.send(`${line}\n`);
      const reply = await client.next();
      expect(reply.ok, line).toBe(false);
      expect(reply.error.message, line).toMatch(message);
      expect(reply.error.stack, line).toBeUndefined();
    }
    expect(fingerprint(runtime)).toEqual(before);
    expect(started).toBe(0);

    // The connection is still good, and replies carry the request's id.
    client.send('{"op": "ping", "id": 7}\n');
    expect(await client.next()).toMatchObject({
      id: 7,
      ok: true,
      result: { name: 'ctl', protocol: 1 },
    });
  });

  it('gives error codes and hints: unknown op suggests the nearest, unknown unit is HS_ERR_UNIT_UNKNOWN', async () => {
    const runtime = await runtimeWithUnits();
    const control = await serveControlSocket(runtime, { dir: tempDir() });
    cleanups.push(() => control.close());
    const client = await raw(control.path);
    client.send('{"op": "relaod", "id": "a"}\n{"op": "reload", "units": ["greter"], "id": "b"}\n');
    expect(await client.next()).toMatchObject({
      id: 'a',
      ok: false,
      error: { code: 'HS_ERR_CONTROL_REQUEST', hint: 'did you mean reload?' },
    });
    expect(await client.next()).toMatchObject({
      id: 'b',
      ok: false,
      error: { code: 'HS_ERR_UNIT_UNKNOWN', hint: 'did you mean greeter?' },
    });
  });

  it('refuses an oversized line after answering what came before it, then ends the connection', async () => {
    const runtime = await runtimeWithUnits();
    const control = await serveControlSocket(runtime, { dir: tempDir() });
    cleanups.push(() => control.close());
    const before = fingerprint(runtime);
    const client = await raw(control.path);
    client.send(`{"op": "ping", "id": 1}\n{"op": "reload", "units": ["${'x'.repeat(70_000)}`);
    expect(await client.next()).toMatchObject({ id: 1, ok: true });
    const refused = await client.next();
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'HS_ERR_CONTROL_REQUEST', message: 'request line longer than 65536 bytes' },
    });
    await client.ended;
    expect(fingerprint(runtime)).toEqual(before);
  });

  it('runs pipelined requests in order and answers a last request sent without a newline', async () => {
    const runtime = await runtimeWithUnits();
    const control = await serveControlSocket(runtime, { dir: tempDir() });
    cleanups.push(() => control.close());
    const client = await raw(control.path);
    client.send('{"op":"reload","id":1}\n{"op":"history","id":2}\n{"op":"status","id":3}');
    client.socket.end();
    const [a, b, c] = [await client.next(), await client.next(), await client.next()];
    expect(a).toMatchObject({
      id: 1,
      ok: true,
      result: { kind: 'reload', trigger: { kind: 'control' } },
    });
    expect(b.id).toBe(2);
    expect(b.result.at(-1).id).toBe(a.result.id);
    expect(c).toMatchObject({ id: 3, ok: true, result: { name: 'ctl', reloads: 2 } });
    await client.ended;
  });

  it('refuses operations outside `allow` with HS_ERR_TRIGGER_DENIED', async () => {
    const runtime = await runtimeWithUnits();
    const control = await serveControlSocket(runtime, { dir: tempDir(), allow: readOnlyOps });
    cleanups.push(() => control.close());
    const client = await connectControlSocket(control.path);
    cleanups.push(() => client.close());
    await expect(client.request({ op: 'reload' })).rejects.toMatchObject({
      code: 'HS_ERR_TRIGGER_DENIED',
    });
    await expect(client.request({ op: 'status' })).resolves.toMatchObject({ reloads: 1 });
  });
});

describe('the socket and its folder', () => {
  it('is 0600 in a 0700 folder, with an index entry; close removes both', async () => {
    const runtime = await runtimeWithUnits();
    const dir = join(tempDir(), 'run');
    const control = await serveControlSocket(runtime, { dir, name: 'svc' });
    expect(control.path).toBe(join(dir, 'svc.sock'));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(control.path).mode & 0o777).toBe(0o600);
    expect(statSync(control.path).isSocket()).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'svc.json'), 'utf8'))).toMatchObject({
      name: 'svc',
      pid: process.pid,
      socket: control.path,
      protocol: 1,
    });
    await control.close();
    expect(existsSync(control.path)).toBe(false);
    expect(existsSync(join(dir, 'svc.json'))).toBe(false);
  });

  it('refuses a name a live process listens on, and a path that is not a socket', async () => {
    const runtime = await runtimeWithUnits();
    const dir = tempDir();
    const first = await serveControlSocket(runtime, { dir, name: 'one' });
    cleanups.push(() => first.close());
    await expect(serveControlSocket(runtime, { dir, name: 'one' })).rejects.toMatchObject({
      code: 'HS_ERR_CONTROL_LISTEN',
      message: `a process (pid ${process.pid}) already listens on ${first.path}`,
    });
    const client = await connectControlSocket(first.path); // the first one is untouched
    cleanups.push(() => client.close());
    await expect(client.request({ op: 'ping' })).resolves.toMatchObject({ name: 'one' });

    writeFileSync(join(dir, 'two.sock'), 'precious');
    await expect(serveControlSocket(runtime, { dir, name: 'two' })).rejects.toMatchObject({
      code: 'HS_ERR_CONTROL_LISTEN',
      message: `${join(dir, 'two.sock')} exists and is not a socket`,
    });
    expect(readFileSync(join(dir, 'two.sock'), 'utf8')).toBe('precious');
  });

  it('refuses unsafe folders, names that are paths, and paths too long for a socket', async () => {
    const runtime = await runtimeWithUnits();
    await expect(serveControlSocket(runtime, { dir: tempDir(0o755) })).rejects.toThrow(
      /is open to other users \(mode 755\); it must be 700/,
    );
    const foreign = tempDir();
    chownSync(foreign, 65534, 65534);
    await expect(serveControlSocket(runtime, { dir: foreign })).rejects.toThrow(
      /belongs to uid 65534, not to this process/,
    );
    const open = tempDir(0o777);
    await expect(
      serveControlSocket(runtime, { dir: tempDir(), path: join(open, 'x.sock') }),
    ).rejects.toThrow(/others may write to/);
    await expect(serveControlSocket(runtime, { dir: tempDir(), name: '../evil' })).rejects.toThrow(
      /cannot name a control socket/,
    );
    const deep = join(tempDir(), 'd'.repeat(60), 'e'.repeat(60));
    await expect(serveControlSocket(runtime, { dir: deep })).rejects.toThrow(
      /more than the 107 a socket allows/,
    );
  });
});

describe('another user', () => {
  beforeAll(() => buildOnce(['dist/cli/bin.js', 'dist/operator.js']), 180_000);
  const canSwitch = process.getuid?.() === 0;

  /** Connects as uid `uid` from a child process; resolves `connected` or the errno code. */
  function connectAs(uid: number, path: string): Promise<string> {
    const script = `const s = require('node:net').connect(${JSON.stringify(path)});
s.on('connect', () => { s.write('{"op":"ping"}\\n'); });
s.on('data', (d) => { process.stdout.write('connected ' + d); s.destroy(); });
s.on('error', (e) => { process.stdout.write(e.code); });`;
    const child = spawn(process.execPath, ['-e', script], {
      uid,
      gid: uid,
      cwd: '/',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    return once(child, 'close').then(() => out.trim());
  }

  it.skipIf(!canSwitch)('is refused by the OS (EACCES); the CLI as nobody exits 3', async () => {
    const runtime = await runtimeWithUnits();
    const dir = tempDir();
    const control = await serveControlSocket(runtime, { dir, name: 'private' });
    cleanups.push(() => control.close());
    expect(await connectAs(65534, control.path)).toBe('EACCES');
    expect(await connectAs(0, control.path)).toMatch(/^connected .*"ok":true/); // root may

    const cli = await runCli(['status', '--socket', control.path], dir, { uid: 65534 });
    expect(cli.code).toBe(3);
    expect(cli.stderr).toContain(`permission denied on ${control.path}`);
  });

  it.skipIf(!canSwitch)(
    'is refused by the socket file mode alone, in a folder others may enter; 0666 would let it in',
    async () => {
      const runtime = await runtimeWithUnits();
      const dir = tempDir();
      const open = join(tempDir(0o755), 'public');
      mkdirSync(open, { mode: 0o755 });
      const control = await serveControlSocket(runtime, { dir, path: join(open, 'app.sock') });
      cleanups.push(() => control.close());
      expect(await connectAs(65534, control.path)).toBe('EACCES');
      // The counter-check: the refusal above is the file mode, not something else in the way.
      chmodSync(control.path, 0o666);
      expect(await connectAs(65534, control.path)).toMatch(/^connected .*"ok":true/);
    },
  );
});

/** POSTs a reload with a forged Host header (fetch cannot set one). */
function statusWithHost(
  url: string,
  host: string,
  headers: Record<string, string>,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { ...headers, host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end('{"op":"reload"}');
  });
}

describe('HTTP control', () => {
  it('refuses to start without a token or off loopback', async () => {
    const runtime = await runtimeWithUnits();
    await expect(
      serveHttpControl(runtime, { token: undefined as unknown as string }),
    ).rejects.toMatchObject({
      code: 'HS_ERR_CONTROL_LISTEN',
      message: 'HTTP control needs a token and none is configured',
    });
    await expect(serveHttpControl(runtime, { token: 'short' })).rejects.toThrow(/shorter than 16/);
    await expect(
      serveHttpControl(runtime, { token: 'a-long-enough-token', host: '0.0.0.0' }),
    ).rejects.toThrow(/loopback only/);
  });

  it('needs the bearer token; runs the same requests as the socket', async () => {
    const runtime = await runtimeWithUnits();
    const token = 'test-token-0123456789';
    const http = await serveHttpControl(runtime, { token });
    cleanups.push(() => http.close());
    expect(http.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/control$/);
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(http.url, { method: 'POST', body, headers });
    const auth = { authorization: `Bearer ${token}` };
    const before = fingerprint(runtime);

    expect((await post('{"op":"reload"}')).status).toBe(401);
    expect(
      (await post('{"op":"reload"}', { authorization: 'Bearer wrong-token-0000000' })).status,
    ).toBe(401);
    expect(await statusWithHost(http.url, 'evil.example', auth)).toBe(421);
    expect((await post('{"op":"relaod"}', auth)).status).toBe(400);
    expect((await post('{"op":"reload","units":"x"}', auth)).status).toBe(400);
    expect((await post(`{"op":"reload","by":"${'x'.repeat(70_000)}"}`, auth)).status).toBe(413);
    expect((await fetch(http.url, { headers: auth })).status).toBe(405);
    expect(fingerprint(runtime)).toEqual(before);

    const res = await post('{"op":"reload","id":"r1"}', auth);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id: 'r1',
      ok: true,
      result: { ok: true, trigger: { kind: 'control', by: 'http' } },
    });
  });

  it('answers 403 for operations outside `allow`', async () => {
    const runtime = await runtimeWithUnits();
    const token = 'test-token-0123456789';
    const http = await serveHttpControl(runtime, { token, allow: readOnlyOps });
    cleanups.push(() => http.close());
    const headers = { authorization: `Bearer ${token}` };
    const denied = await fetch(http.url, { method: 'POST', body: '{"op":"reload"}', headers });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as Json).error.code).toBe('HS_ERR_TRIGGER_DENIED');
    const status = await fetch(http.url, { method: 'POST', body: '{"op":"status"}', headers });
    expect(status.status).toBe(200);
  });
});
