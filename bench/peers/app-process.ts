/**
 * A tool running a generated app, as a child process in its own process group, so stopping it
 * also ends what the tool started (the restarted app of node --watch, tsx and nodemon). Every
 * group is ended when the harness exits, however it exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { delimiter, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Fixture } from './fixture.js';
import { sleep } from './stats.js';
import type { Tool, ToolContext } from './tools.js';

/** A started app. */
export interface AppProcess {
  /** The port the app listens on, the same across restarts. */
  readonly port: number;
  /** `performance.now()` when it was spawned. */
  readonly spawnedAt: number;
  /** The last lines the tool and the app printed, for diagnostics. */
  readonly output: string[];
  /** Ends the process group: SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
}

const groups = new Set<number>();

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Ends every process group still running; safe to call from an exit handler. */
export function killAll(): void {
  for (const pid of groups) killGroup(pid, 'SIGKILL');
  groups.clear();
}

let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      process.stderr.write(`\n[bench] ${signal}: children stopped\n`);
      process.exit(130);
    });
  }
}

/** A port the OS considers free on 127.0.0.1. */
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

/**
 * Starts `tool` on `fixture`. The app gets its port through `BENCH_PORT` (chosen free by the
 * OS first): a restarting tool must bind the same port again, as a real server does, or a client
 * could never find the new process.
 */
export async function startApp(
  tool: Tool,
  fixture: Fixture,
  ctx: ToolContext,
): Promise<AppProcess> {
  hookExit();
  const port = await freePort();
  const { file, args } = tool.command(fixture.entry, ctx);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BENCH_PORT: String(port),
    PATH: `${dirname(ctx.node)}${delimiter}${process.env.PATH ?? ''}`,
    NO_COLOR: '1',
    FORCE_COLOR: '0',
  };
  // The harness may itself run under a loader (tsx); the apps must not inherit it.
  delete env.NODE_OPTIONS;
  const spawnedAt = performance.now();
  const child: ChildProcess = spawn(file, args, {
    cwd: fixture.dir,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`[bench] could not spawn ${tool.label}`);
  groups.add(pid);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      if (output.length > 60) output.shift();
    });
  }
  return {
    port,
    spawnedAt,
    output,
    async stop() {
      killGroup(pid, 'SIGTERM');
      const deadline = performance.now() + 2_000;
      while (!exited && performance.now() < deadline) await sleep(20);
      // The group may outlive its leader (a restarted app): end it all.
      killGroup(pid, 'SIGKILL');
      groups.delete(pid);
    },
  };
}
