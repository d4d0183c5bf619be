import { EventEmitter, once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createScope } from './scope.js';

describe('scope', () => {
  it('clears intervals and timeouts and removes listeners on dispose', async () => {
    const scope = createScope('v1');
    const emitter = new EventEmitter();
    const target = new EventTarget();
    let ticks = 0;
    scope.setInterval(() => ticks++, 1);
    scope.setTimeout(() => ticks++, 60_000);
    scope.on(emitter, 'data', () => {});
    scope.on(target, 'ping', () => {});
    expect(scope.size).toBe(4);
    expect(emitter.listenerCount('data')).toBe(1);
    const { errors } = await scope.dispose();
    expect(errors).toEqual([]);
    expect(scope.size).toBe(0);
    expect(emitter.listenerCount('data')).toBe(0);
    expect(scope.signal.aborted).toBe(true);
    const before = ticks;
    // An interval that survived disposal would tick during this real wait for a later timer.
    await new Promise<void>((resolve) => setTimeout(resolve, 20));
    expect(ticks).toBe(before);
  });

  it('forgets a timeout once it fired, so long-lived scopes stay small', async () => {
    const scope = createScope();
    const fired = new EventEmitter();
    scope.setTimeout(() => fired.emit('done'), 1);
    await once(fired, 'done');
    expect(scope.size).toBe(0);
  });

  it('ends resources newest first and keeps going past a failing disposer', async () => {
    const scope = createScope();
    const order: string[] = [];
    scope.defer(() => {
      order.push('first');
    });
    scope.use({ close: () => order.push('closed') });
    scope.defer(() => {
      throw new Error('boom');
    });
    scope.use({ [Symbol.asyncDispose]: async () => void order.push('async') });
    const { errors } = await scope.dispose();
    expect(order).toEqual(['async', 'closed', 'first']);
    expect(errors).toHaveLength(1);
    expect(await scope.dispose()).toEqual({ errors });
  });

  it('disposes children with the parent, and a child disposed early leaves the parent', async () => {
    const parent = createScope('parent');
    const a = parent.child('a');
    const b = parent.child('b');
    let ended = 0;
    a.defer(() => void ended++);
    b.defer(() => void ended++);
    await a.dispose();
    expect(parent.size).toBe(1);
    await parent.dispose();
    expect(ended).toBe(2);
    expect(b.disposed).toBe(true);
  });

  it('refuses new work after dispose and ends it at once', async () => {
    const scope = createScope('gone');
    await scope.dispose();
    expect(() => scope.setInterval(() => {}, 1)).toThrow(/disposed/);
  });

  it('removes a once listener after its call', () => {
    const scope = createScope();
    const emitter = new EventEmitter();
    let calls = 0;
    scope.once(emitter, 'x', () => void calls++);
    emitter.emit('x');
    emitter.emit('x');
    expect(calls).toBe(1);
    expect(scope.size).toBe(0);
  });
});
