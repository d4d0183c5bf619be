/**
 * `hotswap run` end to end: the real CLI (built `dist/`), a real HTTP app in a child process,
 * real file edits. The app serves new behaviour on the same connection, keeps its state, keeps
 * serving through broken saves, and restarts only when nothing accepts a change.
 */

import { existsSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type AppDir, createAppDir } from '../helpers/app-dir.js';
import { killAll, type Tracked, track } from '../helpers/process.js';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli', 'bin.js');

let app: AppDir;
afterEach(async () => {
  await killAll();
  app?.cleanup();
});

const files = {
  'package.json': '{ "name": "run-fixture", "type": "module" }\n',
  'server.ts': `import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { handle } from './routes.ts';
let connections = 0;
const server: Server = createServer((req, res) => res.end(handle(req.url ?? '/')));
server.on('connection', (socket: Socket & { id?: number }) => { socket.id = ++connections; });
server.on('request', (req) => { (req as unknown as { conn: number }).conn = (req.socket as Socket & { id: number }).id; });
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as { port: number }).port, pid: process.pid })));
process.on('SIGHUP', () => console.log('app got SIGHUP'));
process.stdin.setEncoding('utf8').on('data', (chunk) => console.log(\`app read: \${String(chunk).trim()}\`));
`,
  'routes.ts': `import { value } from './leaf.ts';
const hot = import.meta.hot;
let hits = ((hot?.data.hits as number) ?? 0);
export function handle(url: string): string {
  hits++;
  if (hot) hot.data.hits = hits;
  return \`\${value} hits=\${hits} pid=\${process.pid}\`;
}
hot?.accept();
`,
  'leaf.ts': "export const value: string = 'v1';\n",
};

interface Started {
  run: Tracked;
  port: number;
  pid: number;
  get: () => Promise<{ body: string; socket: number }>;
}

async function start(extra: string[] = [], stdoutFrom = 0, existing?: Tracked): Promise<Started> {
  const run =
    existing ?? track(process.execPath, [bin, 'run', ...extra, 'server.ts'], { cwd: app.root });
  const line = await run.waitFor('stdout', /"port"/, stdoutFrom);
  const { port, pid } = JSON.parse(line) as { port: number; pid: number };
  // One keep-alive socket for every request: "the same connection" is checked by its local port.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = () =>
    new Promise<{ body: string; socket: number }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ body, socket: req.socket?.localPort ?? -1 }));
      });
      req.on('error', reject);
      req.end();
    });
  return { run, port, pid, get };
}

describe('hotswap run', () => {
  it('swaps an accepted change in place: same process, same connection, state kept', async () => {
    app = createAppDir(files);
    const { run, pid, get } = await start();
    const first = await get();
    expect(first.body).toBe(`v1 hits=1 pid=${pid}`);

    const mark = run.stderr.length;
    app.write({ 'leaf.ts': "export const value: string = 'v2';\n" });
    const line = await run.waitFor('stderr', /↻ leaf\.ts \+1 importer/, mark);
    expect(line).toMatch(/\d+(\.\d)? ms$/);
    const second = await get();
    expect(second.body).toBe(`v2 hits=2 pid=${pid}`);
    expect(second.socket).toBe(first.socket);
  });

  it('keeps serving the last good version through a syntax error and a throwing body, and recovers', async () => {
    app = createAppDir(files);
    const { run, pid, get } = await start();
    expect((await get()).body).toBe(`v1 hits=1 pid=${pid}`);

    let mark = run.stderr.length;
    app.write({ 'leaf.ts': 'export const value: string = ;\n' });
    await run.waitFor('stderr', /leaf\.ts:1:30: SyntaxError/, mark);
    await run.waitFor('stderr', /> 1 \| export const value: string = ;/, mark);
    expect((await get()).body).toBe(`v1 hits=2 pid=${pid}`);

    mark = run.stderr.length;
    app.write({ 'leaf.ts': "export const value: string = 'v2';\nthrow new Error('not today');\n" });
    await run.waitFor('stderr', /leaf\.ts:2:7: Error: not today/, mark);
    expect((await get()).body).toBe(`v1 hits=3 pid=${pid}`);

    mark = run.stderr.length;
    app.saveByRename('leaf.ts', "export const value: string = 'v3';\n");
    await run.waitFor('stderr', /recovered/, mark);
    expect((await get()).body).toBe(`v3 hits=4 pid=${pid}`);
  });

  it('restarts the app when a change reaches a module nothing accepts, and says which', async () => {
    app = createAppDir(files);
    const { run, pid } = await start();
    const mark = run.stderr.length;
    const stdoutMark = run.stdout.length;
    app.write({ 'server.ts': `${files['server.ts']}// edited\n` });
    await run.waitFor('stderr', /restart: no module accepts the change to server\.ts/, mark);
    const restarted = await start([], stdoutMark, run);
    expect(restarted.pid).not.toBe(pid);
    expect((await restarted.get()).body).toBe(`v1 hits=1 pid=${restarted.pid}`);
  });

  it('with --no-restart, reports the change and keeps the running version', async () => {
    app = createAppDir(files);
    const { run, pid, get } = await start(['--no-restart']);
    const mark = run.stderr.length;
    app.write({ 'server.ts': `${files['server.ts']}// edited\n` });
    await run.waitFor('stderr', /--no-restart: the running version stays/, mark);
    expect((await get()).body).toBe(`v1 hits=1 pid=${pid}`);
  });

  it('passes stdin through to the app when no terminal is attached, and forwards signals', async () => {
    app = createAppDir(files);
    const { run } = await start();
    // Without a terminal, `r` is the app's input, not a shortcut.
    run.child.stdin?.write('r\n');
    await run.waitFor('stdout', /^app read: r$/);
    run.child.stdin?.write('hello\n');
    await run.waitFor('stdout', /^app read: hello$/);
    run.child.kill('SIGHUP');
    await run.waitFor('stdout', /app got SIGHUP/);
  });

  it('stops the app with itself on SIGTERM: no orphan process', async () => {
    app = createAppDir(files);
    const { run, pid } = await start();
    run.child.kill('SIGTERM');
    const { code } = await run.exited;
    expect(code).toBe(143);
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('waits for a fix when the entry itself fails to start', async () => {
    app = createAppDir({
      ...files,
      'leaf.ts': "export const value: string = 'v1'\nexport const broken = ;\n",
    });
    const run = track(process.execPath, [bin, 'run', 'server.ts'], { cwd: app.root });
    await run.waitFor('stderr', /leaf\.ts:2:23: SyntaxError/);
    await run.waitFor('stderr', /waiting for a change to retry/);
    app.write({ 'leaf.ts': "export const value: string = 'v1';\n" });
    const { pid, get } = await start([], 0, run);
    await run.waitFor('stderr', /recovered: server\.ts started/);
    expect((await get()).body).toBe(`v1 hits=1 pid=${pid}`);
  });

  const script = ['/usr/bin/script', '/bin/script'].find((p) => existsSync(p));
  it.skipIf(!script)(
    `with a terminal: r + Enter reloads everything, q + Enter quits${script ? '' : ' — SKIPPED: util-linux `script` (a pseudo-terminal) is not installed'}`,
    async () => {
      app = createAppDir(files);
      // `script` gives the CLI a pseudo-terminal; what we write to it is typed on that terminal.
      const run = track(
        script!,
        ['-qfec', `${process.execPath} ${bin} run server.ts`, '/dev/null'],
        {
          cwd: app.root,
        },
      );
      await run.waitFor('stdout', /r \+ Enter reloads everything, q \+ Enter quits/);
      const first = await run.waitFor('stdout', /"port"/);
      run.child.stdin?.write('r\n');
      await run.waitFor('stdout', /reloading everything/);
      // The entry accepts nothing, so "everything" means a restart: a new app process.
      const second = await run.waitFor('stdout', (l) => /"port"/.test(l) && l !== first);
      expect(JSON.parse(second.slice(second.indexOf('{'))).pid).not.toBe(
        JSON.parse(first.slice(first.indexOf('{'))).pid,
      );
      run.child.stdin?.write('q\n');
      expect((await run.exited).code).toBe(0);
    },
  );

  it('answers usage errors with exit code 2', async () => {
    app = createAppDir(files);
    const run = track(process.execPath, [bin, 'run', 'nope.ts'], { cwd: app.root });
    expect((await run.exited).code).toBe(2);
    expect(run.stderr.join('\n')).toContain('entry not found: nope.ts');
  });
});
