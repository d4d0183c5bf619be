import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSettle, type SettleOptions } from './_settle.js';

describe('settle scheduler (fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers({
      toFake: [
        'setTimeout',
        'clearTimeout',
        'setImmediate',
        'clearImmediate',
        'performance',
        'Date',
      ],
    });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function make(extra: Partial<SettleOptions> = {}) {
    const runs: number[] = [];
    const settle = createSettle({
      settle: 15,
      maxWait: 200,
      run: () => runs.push(performance.now()),
      onError: (err) => {
        throw err;
      },
      ...extra,
    });
    return { settle, runs };
  }

  it('runs one quiet window after the last event', async () => {
    const { settle, runs } = make();
    const start = performance.now();
    settle.poke();
    await vi.advanceTimersByTimeAsync(10);
    settle.poke();
    await vi.advanceTimersByTimeAsync(14);
    expect(runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toEqual([start + 25]);
    settle.close();
  });

  it('runs at maxWait under a steady stream of events', async () => {
    const { settle, runs } = make();
    const start = performance.now();
    for (let t = 0; t < 400 && runs.length === 0; t += 10) {
      settle.poke();
      await vi.advanceTimersByTimeAsync(10);
    }
    expect(runs).toEqual([start + 200]);
    settle.close();
  });

  it('never starts a round while one runs, and waits a window after it', async () => {
    const { settle, runs } = make();
    settle.poke();
    await vi.advanceTimersByTimeAsync(15);
    expect(runs).toHaveLength(1);
    settle.poke();
    await vi.advanceTimersByTimeAsync(500);
    expect(runs).toHaveLength(1);
    const done = performance.now();
    settle.done(true);
    await vi.advanceTimersByTimeAsync(15);
    expect(runs).toEqual([expect.any(Number), done + 15]);
    settle.done(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('waits while busy, then one longer window (afterBusy), beyond maxWait', async () => {
    let busy = true;
    const { settle, runs } = make({ busy: async () => busy, afterBusy: 40 });
    settle.poke();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toEqual([]);
    busy = false;
    // The probe that sees the lock gone comes within one settle window, then afterBusy runs.
    await vi.advanceTimersByTimeAsync(35);
    expect(runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(25);
    expect(runs).toHaveLength(1);
    settle.close();
  });

  it('with leading, runs at the end of the turn, then waits a window for what came meanwhile', async () => {
    const { settle, runs } = make({ leading: true });
    const start = performance.now();
    settle.poke();
    settle.poke();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toEqual([start]);
    settle.poke();
    await vi.advanceTimersByTimeAsync(100);
    settle.done(true);
    const done = performance.now();
    await vi.advanceTimersByTimeAsync(15);
    expect(runs).toEqual([start, done + 15]);
    settle.done(false);
    // An event right after a round is part of a burst: it waits a window.
    settle.poke();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(15);
    expect(runs).toHaveLength(3);
    settle.done(false);
    // After a quiet spell, leading again.
    await vi.advanceTimersByTimeAsync(50);
    settle.poke();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(4);
    settle.close();
  });

  it('leaves no timer once closed', async () => {
    const { settle, runs } = make();
    settle.poke();
    settle.close();
    expect(vi.getTimerCount()).toBe(0);
    settle.poke();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toEqual([]);
  });
});
