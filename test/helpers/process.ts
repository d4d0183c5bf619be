/**
 * Child processes for end-to-end tests: line-by-line output, waiting for a line instead of
 * sleeping, and a kill that every test's cleanup can call; or, for a process run to its end,
 * its whole output.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** A spawned process with its output split into lines. */
export interface Tracked {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves the first line (past or future) of `stream` matching `match`. */
  waitFor(
    stream: 'stdout' | 'stderr',
    match: RegExp | ((line: string) => boolean),
    from?: number,
  ): Promise<string>;
  /** Resolves the exit code (or signal) when the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills the process (SIGTERM, then SIGKILL) and waits for it. */
  kill(): Promise<void>;
}

const live = new Set<Tracked>();

/** Spawns `command`; output lines are collected and can be waited for. */
export function track(command: string, args: string[], options: SpawnOptions = {}): Tracked {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
  const lines = { stdout: [] as string[], stderr: [] as string[] };
  const waiters: {
    stream: 'stdout' | 'stderr';
    test: (l: string) => boolean;
    from: number;
    resolve: (l: string) => void;
  }[] = [];
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  for (const stream of ['stdout', 'stderr'] as const) {
    const source = child[stream];
    if (!source) continue;
    createInterface({ input: source }).on('line', (line) => {
      lines[stream].push(line);
      if (process.env.HOTSWAP_TEST_ECHO) process.stderr.write(`[${stream}] ${line}\n`);
      for (const w of [...waiters]) {
        if (w.stream === stream && lines[stream].length > w.from && w.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    });
  }
  const tracked: Tracked = {
    child,
    stdout: lines.stdout,
    stderr: lines.stderr,
    exited,
    waitFor(stream, match, from = 0) {
      const test = typeof match === 'function' ? match : (l: string) => match.test(l);
      const seen = lines[stream].slice(from).find(test);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        waiters.push({ stream, test, from, resolve });
        void exited.then(({ code, signal }) =>
          reject(
            new Error(
              `process exited (${signal ?? code}) before a ${stream} line matched ${match}\n${lines.stderr.join('\n')}`,
            ),
          ),
        );
      });
    },
    async kill() {
      live.delete(tracked);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  live.add(tracked);
  return tracked;
}

/** Kills every process still running (call from afterEach). */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((t) => t.kill()));
}

/** Everything a process wrote, and its exit code (null when a signal ended it). */
export interface Captured {
  code: number | null;
  out: string;
  err: string;
}

/**
 * Collects all that `child` writes to stdout and stderr; resolves when it closes, rejects when
 * it could not start. Call it before writing to the child's stdin.
 */
export function capture(child: ChildProcess): Promise<Captured> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d;
    });
    child.stderr?.on('data', (d: Buffer) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}
