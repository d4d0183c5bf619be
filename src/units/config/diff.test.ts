import { describe, expect, it } from 'vitest';
import { diffConfig, viewChange } from './diff.js';
import { createSecretPolicy, REDACTED } from './secrets.js';

describe('diff', () => {
  it('lists changed leaves by key path, arrays compared whole, sorted', () => {
    const changes = diffConfig(
      { llm: { model: 'a', t: 1 }, tags: ['x'], gone: 1, same: { deep: [1, { a: 1 }] } },
      {
        llm: { model: 'b', t: 1 },
        tags: ['x', 'y'],
        added: { x: 1 },
        same: { deep: [1, { a: 1 }] },
      },
    );
    expect(changes.map((c) => [c.path, c.kind, c.oldValue, c.newValue])).toEqual([
      ['added.x', 'added', undefined, 1],
      ['gone', 'removed', 1, undefined],
      ['llm.model', 'changed', 'a', 'b'],
      ['tags', 'changed', ['x'], ['x', 'y']],
    ]);
  });

  it('diffs a first load as every key added, and an object replaced by a scalar as one change', () => {
    expect(diffConfig(undefined, { a: { b: 1 } }).map((c) => c.path)).toEqual(['a.b']);
    expect(diffConfig({ a: { b: 1 } }, { a: 'flat' }).map((c) => [c.path, c.kind])).toEqual([
      ['a', 'changed'],
    ]);
    expect(diffConfig({ a: {} }, { a: {} })).toEqual([]);
  });

  it('redacts secret values in views', () => {
    const policy = createSecretPolicy();
    const [change] = diffConfig({ db: { password: 'old-pw' } }, { db: { password: 'new-pw' } });
    expect(viewChange(change!, policy)).toEqual({
      path: 'db.password',
      kind: 'changed',
      oldValue: REDACTED,
      newValue: REDACTED,
    });
    const [nested] = diffConfig({}, { list: [{ token: 't-1', name: 'n' }] });
    expect(viewChange(nested!, policy).newValue).toEqual([{ token: REDACTED, name: 'n' }]);
  });
});
