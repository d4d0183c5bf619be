import { type ChildProcess, fork } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { installSignalTriggers, type SignalRun } from './signals.js';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('installSignalTriggers (in process, on an emitter)', () => {
  it('runs the handler once per signal when idle, coalescing arrivals during a run into one follow-up', async () => {
    const target = new EventEmitter();
    const runs: SignalRun[] = [];
    const gates = [gate(), gate()];
    const started = [gate(), gate()];
    const dispose = installSignalTriggers(
      {
        SIGHUP: async (run) => {
          const i = runs.push(run) - 1;
          started[i]?.open();
          await gates[i]?.opened;
        },
      },
      { target },
    );
    target.emit('SIGHUP');
    await started[0]?.opened;
    target.emit('SIGHUP');
    target.emit('SIGHUP');
    target.emit('SIGHUP');
    gates[0]?.open();
    await started[1]?.opened;
    gates[1]?.open();
    await dispose();
    expect(runs).toEqual([
      { signal: 'SIGHUP', coalesced: 0 },
      { signal: 'SIGHUP', coalesced: 3 },
    ]);
  });

  it('keeps signals independent, reports handler errors and keeps listening', async () => {
    const target = new EventEmitter();
    const errors: string[] = [];
    const calls: string[] = [];
    const twoErrors = gate();
    const dispose = installSignalTriggers(
      {
        SIGHUP: () => {
          calls.push('hup');
          throw new Error('reload failed');
        },
        SIGUSR2: async () => {
          calls.push('usr2');
        },
      },
      {
        target,
        onError: (err, signal) => {
          if (errors.push(`${signal}: ${(err as Error).message}`) === 2) twoErrors.open();
        },
      },
    );
    target.emit('SIGHUP');
    target.emit('SIGUSR2');
    target.emit('SIGHUP'); // the first run already failed (synchronously): a run of its own
    await twoErrors.opened;
    await dispose();
    expect(calls).toEqual(['hup', 'usr2', 'hup']);
    expect(errors).toEqual(['SIGHUP: reload failed', 'SIGHUP: reload failed']);
  });

  it('drops queued follow-ups on dispose', async () => {
    const target = new EventEmitter();
    let runs = 0;
    const dispose = installSignalTriggers({ SIGHUP: async () => void runs++ }, { target });
    target.emit('SIGHUP');
    target.emit('SIGHUP');
    await dispose();
    expect(runs).toBe(1);
  });

  it('removes its listeners and waits for a running handler on dispose', async () => {
    const target = new EventEmitter();
    const g = gate();
    let ended = false;
    const dispose = installSignalTriggers(
      {
        SIGHUP: async () => {
          await g.opened;
          ended = true;
        },
      },
      { target },
    );
    expect(target.listenerCount('SIGHUP')).toBe(1);
    target.emit('SIGHUP');
    const disposing = dispose();
    expect(target.listenerCount('SIGHUP')).toBe(0);
    g.open();
    await disposing;
    expect(ended).toBe(true);
    expect(() => installSignalTriggers({ SIGKILL: () => {} }, { target })).toThrow(TypeError);
  });
});

describe('installSignalTriggers (a real child process, real signals)', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('coalesces SIGHUPs sent during a run into one follow-up, and restores the default on dispose', async () => {
    const script = fileURLToPath(
      new URL('../../test/fixtures/config-signals/child.ts', import.meta.url),
    );
    child = fork(script, [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    // One queue of messages per event, so each `next` takes the oldest one not taken yet.
    const queues = new Map<string, Record<string, unknown>[]>();
    const waiters = new Map<string, ((m: Record<string, unknown>) => void)[]>();
    child.on('message', (m: { event: string }) => {
      const waiting = waiters.get(m.event)?.shift();
      if (waiting) waiting(m);
      else queues.set(m.event, [...(queues.get(m.event) ?? []), m]);
    });
    const next = (event: string) =>
      new Promise<Record<string, unknown>>((resolve) => {
        const queued = queues.get(event)?.shift();
        if (queued) resolve(queued);
        else waiters.set(event, [...(waiters.get(event) ?? []), resolve]);
      });
    const pid = child.pid!;

    await next('ready');
    process.kill(pid, 'SIGHUP');
    expect(await next('start')).toMatchObject({ run: 1, coalesced: 0 });
    await next('received');
    process.kill(pid, 'SIGHUP');
    await next('received');
    process.kill(pid, 'SIGHUP');
    await next('received');
    child.send('release');
    expect(await next('end')).toMatchObject({ run: 1 });
    expect(await next('start')).toMatchObject({ run: 2, coalesced: 2 });
    child.send('release');
    await next('end');
    child.send('runs');
    expect(await next('runs')).toMatchObject({ runs: 2 });
    expect(queues.get('error')).toBeUndefined();

    child.send('dispose');
    await next('disposed');
    const exited = once(child, 'exit');
    process.kill(pid, 'SIGHUP');
    const [code, signal] = await exited;
    // Without a listener, SIGHUP's default action ends the process again.
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGHUP' });
  });
});
