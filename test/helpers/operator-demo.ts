/**
 * The operator demo (examples/operator-demo) as the end-to-end suites run it: a copy of its app
 * folder to edit, its own control folder, the process started with tsx, and the `hotswap` CLI
 * run against it in child processes, exactly as an operator would.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AppDir, createAppDir } from './app-dir.js';
import { capture, type Tracked, track } from './process.js';

/** The repository root. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** The built CLI. */
export const cliBin = join(repoRoot, 'dist', 'cli', 'bin.js');
const demoMain = join(repoRoot, 'examples', 'operator-demo', 'main.ts');

/** A running demo process. */
export interface Demo {
  readonly process: Tracked;
  readonly app: AppDir;
  /** The control folder (HOTSWAP_RUNTIME_DIR) of this demo. */
  readonly runDir: string;
  readonly name: string;
  readonly pid: number;
  readonly socket: string;
  /** `http://127.0.0.1:<port>` of the demo's own HTTP server. */
  readonly base: string;
  /** The dashboard URL with its token. */
  readonly dashboard: string;
  /** Runs `hotswap <args>` against this demo's control folder. */
  cli(args: string[], options?: CliOptions): Promise<CliResult>;
  /** Stops the process and removes its folders. */
  stop(): Promise<void>;
}

/** Options of a CLI run. */
export interface CliOptions {
  /** Extra environment. */
  env?: NodeJS.ProcessEnv;
  /** Run as this uid/gid (tests run as root). */
  uid?: number;
  gid?: number;
}

/** What a CLI run printed and its exit code. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI once and collects its output. */
export async function runCli(
  args: string[],
  runDir: string,
  options: CliOptions = {},
): Promise<CliResult> {
  const child = spawn(process.execPath, [cliBin, ...args], {
    cwd: repoRoot,
    env: {
      ...process.env,
      HOTSWAP_RUNTIME_DIR: runDir,
      NO_COLOR: '1',
      FORCE_COLOR: '0',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid ?? options.uid } : {}),
  });
  const { code, out, err } = await capture(child);
  return { code, stdout: out, stderr: err };
}

/** A fresh private control folder (0700, short path: socket paths are limited to 107 bytes). */
export function makeRunDir(): string {
  return mkdtempSync(join(tmpdir(), 'hs-op-'));
}

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** The process name. @default 'operator-demo' */
  name?: string;
  /** Extra environment (NOTIFY_SOCKET ...). */
  env?: NodeJS.ProcessEnv;
  /** Use this control folder (shared by several demos). */
  runDir?: string;
}

function field(lines: string[], label: string): string {
  const line = lines.find((l) => l.trimStart().startsWith(`${label} `));
  const value = line?.trim().slice(label.length).trim();
  if (!value) throw new Error(`the demo printed no "${label}" line:\n${lines.join('\n')}`);
  return value;
}

/** Starts the demo on a copy of its app folder and waits until it serves. */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const name = options.name ?? 'operator-demo';
  const app = createAppDir({}, 'operator-demo-');
  cpSync(join(repoRoot, 'examples', 'operator-demo'), app.root, { recursive: true });
  const ownRunDir = options.runDir === undefined;
  const runDir = options.runDir ?? makeRunDir();
  const proc = track(process.execPath, ['--import', 'tsx', demoMain, app.root], {
    cwd: repoRoot,
    env: {
      ...process.env,
      HOTSWAP_RUNTIME_DIR: runDir,
      DEMO_NAME: name,
      HOTSWAP_LOG_LEVEL: 'info',
      ...options.env,
    },
  });
  await proc.waitFor('stdout', /^\s+try\s/);
  const lines = proc.stdout;
  const hello = field(lines, 'hello');
  const demo: Demo = {
    process: proc,
    app,
    runDir,
    name,
    pid: proc.child.pid ?? 0,
    socket: field(lines, 'socket'),
    base: hello.replace(/\/hello.*$/, ''),
    dashboard: field(lines, 'dashboard'),
    cli: (args, cliOptions) => runCli(args, runDir, cliOptions),
    async stop() {
      await proc.kill();
      app.cleanup();
      if (ownRunDir) rmSync(runDir, { recursive: true, force: true });
    },
  };
  return demo;
}
