/**
 * The CLI side of `hotswap run`: starts the app as a child process, restarts it when the child
 * asks (a change nothing accepts), forwards signals, and owns the terminal: with a TTY, `r` +
 * Enter reloads everything and `q` + Enter quits; every other input goes to the app unchanged.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { colors } from './format.js';
import type { ChildMessage, ParentMessage, RunSettings } from './protocol.js';

/** Options of {@link runSupervised}. */
export interface SupervisorOptions extends RunSettings {
  root: string;
  entry: string;
  args: string[];
  /** Extra Node.js flags for the app process (e.g. `--expose-gc`). */
  nodeArgs: string[];
  /** Milliseconds the app gets to exit after SIGTERM before SIGKILL. @default 5000 */
  killTimeout?: number;
}

const childScript = fileURLToPath(new URL('./child.js', import.meta.url));
const forwardedSignals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'];

/** Runs the app until `q`, a terminating signal, or the app exits for good. Resolves the exit code. */
export async function runSupervised(options: SupervisorOptions): Promise<number> {
  const settings: RunSettings = {
    restart: options.restart,
    watch: options.watch,
    quiet: options.quiet,
  };
  const interactive = Boolean(process.stdin.isTTY);
  let child: ChildProcess | undefined;
  let stopping = false;
  let inputEnded = false;
  let restarting = false;
  let exitCode = 0;
  const note = (line: string): void => {
    if (!options.quiet) process.stderr.write(`${line}\n`);
  };

  const spawnChild = (): ChildProcess => {
    const proc = fork(childScript, [options.root, options.entry, ...options.args], {
      execArgv: [
        ...process.execArgv.filter((a) => !a.startsWith('--input-type')),
        ...options.nodeArgs,
      ],
      env: { ...process.env, HOTSWAP_RUN: JSON.stringify(settings) },
      stdio: ['pipe', 'inherit', 'inherit', 'ipc'],
    });
    proc.on('message', (message: ChildMessage) => {
      if (message.type === 'restart' && !restarting && !stopping) void restart(message.reason);
    });
    proc.on('exit', (code, signal) => {
      if (proc !== child || restarting || stopping) return;
      exitCode = code ?? (signal ? 128 : 1);
      // Without watching, or when the app finished cleanly after its input ended (Ctrl-D in an
      // interactive app): the user is done, and so is the supervisor.
      if (!options.watch || (code === 0 && inputEnded)) {
        stop(exitCode);
        return;
      }
      note(
        colors.dim(`app exited (${signal ?? `code ${code}`}); waiting for a change to restart…`),
      );
    });
    proc.stdin?.on('error', () => {});
    return proc;
  };

  const terminate = async (proc: ChildProcess): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), options.killTimeout ?? 5000);
    await exited;
    clearTimeout(timer);
  };

  const restart = async (reason: string): Promise<void> => {
    restarting = true;
    try {
      if (child) await terminate(child);
      child = spawnChild();
      note(colors.dim(`restarted (${reason.split(';')[0]})`));
    } finally {
      restarting = false;
    }
  };

  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((resolve) => {
    resolveDone = resolve;
  });
  const stop = (code: number): void => {
    if (stopping) return;
    stopping = true;
    const current = child;
    void (current ? terminate(current) : Promise.resolve()).then(() => resolveDone(code));
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (signal === 'SIGINT' || signal === 'SIGTERM') {
      stop(128 + (signal === 'SIGINT' ? 2 : 15));
      return;
    }
    child?.kill(signal);
  };
  for (const signal of forwardedSignals) process.on(signal, onSignal);

  const onInput = (chunk: Buffer): void => {
    if (interactive) {
      const line = chunk.toString().trim();
      if (line === 'q') {
        stop(0);
        return;
      }
      if (line === 'r') {
        note(colors.dim('reloading everything…'));
        child?.send({ type: 'reload-all' } satisfies ParentMessage);
        return;
      }
    }
    child?.stdin?.write(chunk);
  };
  const onInputEnd = (): void => {
    inputEnded = true;
    child?.stdin?.end();
  };
  process.stdin.on('data', onInput);
  process.stdin.on('end', onInputEnd);
  if (interactive) note(colors.dim('hotswap: r + Enter reloads everything, q + Enter quits'));

  child = spawnChild();
  const code = await done;
  for (const signal of forwardedSignals) process.off(signal, onSignal);
  process.stdin.off('data', onInput);
  process.stdin.off('end', onInputEnd);
  process.stdin.pause();
  return code;
}
