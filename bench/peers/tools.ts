/**
 * The tools compared, each wired the way its own documentation tells a user to: how the app's
 * entry reaches the handler, and the command that runs it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** How a tool takes an edit. */
export type ToolKind =
  /** Swaps modules inside the running process. */
  | 'hot'
  /** Kills the process and starts a new one. */
  | 'restart';

/** The app files a tool needs beside the generated module tree. */
export interface ToolApp {
  readonly entryFile: string;
  readonly entrySource: string;
  /** The handler calls `import.meta.hot?.accept()`. */
  readonly handlerAccepts: boolean;
  /** Extra `package.json` keys. */
  readonly packageJson?: Record<string, unknown>;
}

/** Where the harness runs things. */
export interface ToolContext {
  /** The repository root (holds `node_modules/` and `dist/`). */
  readonly root: string;
  /** The Node.js binary every child runs on. */
  readonly node: string;
}

/** One column of the comparison. */
export interface Tool {
  readonly id: string;
  /** Name in the table. */
  readonly label: string;
  /** How it is started, for the README. */
  readonly setup: string;
  readonly kind: ToolKind;
  /** Source language of the generated app: each tool gets what its users write. */
  readonly language: 'ts' | 'js';
  app(ext: 'ts' | 'js'): ToolApp;
  /** The command that runs the app whose entry is `entry`, in the app's folder. */
  command(entry: string, ctx: ToolContext): { file: string; args: string[] };
  /** Why the tool cannot run here, or undefined when it can. */
  unavailable(ctx: ToolContext): Promise<string | undefined>;
}

const memoryRoute = `
function sendMemory(res) {
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ gc: typeof globalThis.gc === 'function', heapUsed: m.heapUsed, rss: m.rss, pid: process.pid }));
}

function fail(res, err) {
  res.statusCode = 500;
  res.end(String(err && err.stack || err));
}
`;

const listen = `
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.BENCH_PORT || 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ port: server.address().port, pid: process.pid }));
});
`;

/** The handler imported statically: the tool keeps the binding current (or restarts). */
const staticEntry = `import { createServer } from 'node:http';
import { handle } from './handler.js';
${memoryRoute}
const server = createServer((req, res) => {
  if (req.url === '/__mem') return sendMemory(res);
  try {
    handle(req, res);
  } catch (err) {
    fail(res, err);
  }
});
${listen}`;

/** hot-hook: the boundary is imported per request with the `hot` import attribute (its README). */
const hotHookEntry = `import { createServer } from 'node:http';
${memoryRoute}
const server = createServer(async (req, res) => {
  if (req.url === '/__mem') return sendMemory(res);
  try {
    const { handle } = await import('./handler.js', import.meta.hot?.boundary);
    handle(req, res);
  } catch (err) {
    fail(res, err);
  }
});
${listen}`;

/**
 * Vite: a dev server in middleware mode with a custom app type, and the handler imported through
 * the ssr environment's module runner on each request (Vite's "Environment API for Frameworks"
 * guide). The websocket server is off (\`server.ws: false\`): nothing here is a browser, and the
 * ssr environment's hot channel is in-process.
 */
const viteEntry = `import { createServer } from 'node:http';
import { createServer as createViteServer } from 'vite';
${memoryRoute}
const vite = await createViteServer({
  configFile: false,
  root: import.meta.dirname,
  logLevel: 'error',
  clearScreen: false,
  appType: 'custom',
  server: { middlewareMode: true, ws: false },
});
const runner = vite.environments.ssr.runner;

const server = createServer(async (req, res) => {
  if (req.url === '/__mem') return sendMemory(res);
  try {
    const { handle } = await runner.import('/handler.ts');
    handle(req, res);
  } catch (err) {
    fail(res, err);
  }
});
${listen}`;

const bin = (ctx: ToolContext, ...path: string[]): string =>
  join(ctx.root, 'node_modules', ...path);

const present =
  (...path: string[]) =>
  async (ctx: ToolContext): Promise<string | undefined> =>
    existsSync(bin(ctx, ...path)) ? undefined : `n/a (${path[0]} not installed)`;

/** Every tool, in table order. */
export const tools: readonly Tool[] = [
  {
    id: 'hotswap',
    label: 'hotswap',
    setup:
      '`node dist/cli/bin.js run --node-arg=--expose-gc entry.ts` (a supervisor process runs the app process); the handler calls `import.meta.hot?.accept()`, the server calls it through its static import',
    kind: 'hot',
    language: 'ts',
    app: (ext) => ({ entryFile: `entry.${ext}`, entrySource: staticEntry, handlerAccepts: true }),
    command: (entry, ctx) => ({
      file: ctx.node,
      args: [join(ctx.root, 'dist/cli/bin.js'), 'run', '--node-arg=--expose-gc', entry],
    }),
    unavailable: async (ctx) => {
      const cli = join(ctx.root, 'dist/cli/bin.js');
      if (!existsSync(cli)) return 'n/a (not built yet)';
      try {
        const { stdout } = await promisify(execFile)(ctx.node, [cli, 'run', '--help'], {
          timeout: 10_000,
        });
        return /Usage: hotswap run\b/.test(stdout) ? undefined : 'n/a (not built yet)';
      } catch {
        return 'n/a (not built yet)';
      }
    },
  },
  {
    id: 'node-watch',
    label: 'node --watch',
    setup: '`node --expose-gc --watch entry.js` (JavaScript: Node 20 does not run TypeScript)',
    kind: 'restart',
    language: 'js',
    app: (ext) => ({ entryFile: `entry.${ext}`, entrySource: staticEntry, handlerAccepts: false }),
    command: (entry, ctx) => ({ file: ctx.node, args: ['--expose-gc', '--watch', entry] }),
    unavailable: async () => undefined,
  },
  {
    id: 'tsx-watch',
    label: 'tsx watch',
    setup: '`tsx watch --expose-gc entry.ts`',
    kind: 'restart',
    language: 'ts',
    app: (ext) => ({ entryFile: `entry.${ext}`, entrySource: staticEntry, handlerAccepts: false }),
    command: (entry, ctx) => ({
      file: ctx.node,
      args: [bin(ctx, 'tsx/dist/cli.mjs'), 'watch', '--expose-gc', entry],
    }),
    unavailable: present('tsx', 'dist/cli.mjs'),
  },
  {
    id: 'nodemon',
    label: 'nodemon',
    setup:
      "`nodemon --exec 'node --expose-gc' entry.js` with nodemon's defaults (watches the app folder)",
    kind: 'restart',
    language: 'js',
    app: (ext) => ({ entryFile: `entry.${ext}`, entrySource: staticEntry, handlerAccepts: false }),
    command: (entry, ctx) => ({
      file: ctx.node,
      args: [bin(ctx, 'nodemon/bin/nodemon.js'), '--exec', `${ctx.node} --expose-gc`, entry],
    }),
    unavailable: present('nodemon', 'bin/nodemon.js'),
  },
  {
    id: 'dynohot',
    label: 'dynohot',
    setup:
      '`node --expose-gc --enable-source-maps --import dynohot entry.js`; the handler calls `import.meta.hot?.accept()`, the server calls it through its static import (dynohot keeps bindings live)',
    kind: 'hot',
    language: 'js',
    app: (ext) => ({ entryFile: `entry.${ext}`, entrySource: staticEntry, handlerAccepts: true }),
    command: (entry, ctx) => ({
      file: ctx.node,
      args: ['--expose-gc', '--enable-source-maps', '--import', 'dynohot', entry],
    }),
    unavailable: present('dynohot', 'package.json'),
  },
  {
    id: 'hot-hook',
    label: 'hot-hook',
    setup:
      "`node --expose-gc --import=hot-hook/register entry.js`; the server does `await import('./handler.js', import.meta.hot?.boundary)` per request",
    kind: 'hot',
    language: 'js',
    app: () => ({ entryFile: 'entry.js', entrySource: hotHookEntry, handlerAccepts: false }),
    command: (entry, ctx) => ({
      file: ctx.node,
      args: ['--expose-gc', '--import=hot-hook/register', entry],
    }),
    unavailable: present('hot-hook', 'package.json'),
  },
  {
    id: 'vite',
    label: 'Vite module runner',
    setup:
      "`node --expose-gc entry.js`: `createServer({ server: { middlewareMode: true, ws: false }, appType: 'custom' })`, then `server.environments.ssr.runner.import('/handler.ts')` per request; the handler calls `import.meta.hot?.accept()`",
    kind: 'hot',
    language: 'ts',
    app: () => ({ entryFile: 'entry.js', entrySource: viteEntry, handlerAccepts: true }),
    command: (entry, ctx) => ({ file: ctx.node, args: ['--expose-gc', entry] }),
    unavailable: present('vite', 'package.json'),
  },
];
