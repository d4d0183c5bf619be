import { describe, expect, it } from 'vitest';
import { diffConfig } from './diff.js';
import { Subscriptions } from './subscriptions.js';

describe('subscriptions', () => {
  const changes = diffConfig(
    { llm: { model: 'a', t: 1 }, irc: { host: 'h' } },
    { llm: { model: 'b', t: 2 }, irc: { host: 'i' } },
  );
  const base = { previous: undefined, current: {}, generation: 2 };

  it('calls each matching listener once per reload, in subscription order, with its changes', async () => {
    const subs = new Subscriptions<object>();
    const calls: string[] = [];
    subs.on('irc.*', (e) => {
      calls.push(
        `irc:${e.changes.map((c) => `${c.path}=${String(c.oldValue)}>${String(c.newValue)}`).join(',')}`,
      );
    });
    subs.on('llm.*', async (e) => {
      await Promise.resolve();
      calls.push(`llm:${e.changes.map((c) => c.path).join(',')}`);
    });
    subs.on('**', () => {
      calls.push('all');
    });
    subs.on('db', () => {
      calls.push('db');
    });
    await subs.notify(base, changes);
    expect(calls).toEqual(['irc:irc.host=h>i', 'llm:llm.model,llm.t', 'all']);
  });

  it('reports listener errors without stopping the others, and unsubscribes', async () => {
    const subs = new Subscriptions<object>();
    let later = 0;
    const off = subs.on('llm.model', () => {
      throw new Error('boom');
    });
    subs.on('llm', () => {
      later++;
    });
    const failures = await subs.notify(base, changes);
    expect(failures.map((f) => [f.pattern, (f.error as Error).message])).toEqual([
      ['llm.model', 'boom'],
    ]);
    expect(later).toBe(1);
    off();
    expect(await subs.notify(base, changes)).toEqual([]);
    expect(subs.size).toBe(1);
  });
});
