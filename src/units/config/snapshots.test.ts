import { describe, expect, it } from 'vitest';
import { isHotswapError } from '../../errors.js';
import { SnapshotHistory } from './snapshots.js';

const api = { kind: 'api' } as const;

describe('snapshot history', () => {
  it('keeps at most the limit, dropping the oldest', () => {
    const h = new SnapshotHistory<string>(3);
    for (const v of ['v0', 'v1', 'v2', 'v3']) h.record(v, api, []);
    expect(h.list().entries.map((e) => e.version)).toEqual(['v1', 'v2', 'v3']);
    expect(h.current?.version).toBe('v3');
  });

  it('steps back like undo, and a new record drops what was undone', () => {
    const h = new SnapshotHistory<string>(10);
    for (const v of ['v0', 'v1', 'v2']) h.record(v, api, []);
    const one = h.target(1, 'config');
    expect(one.version).toBe('v1');
    h.moveTo(one);
    expect(h.target(1, 'config').version).toBe('v0');
    h.record('v3', api, []);
    expect(h.list().entries.map((e) => e.version)).toEqual(['v0', 'v1', 'v3']);
  });

  it('refuses to step past the oldest, or a step count that is not a positive integer', () => {
    const h = new SnapshotHistory<string>(10);
    h.record('v0', api, []);
    h.record('v1', api, []);
    for (const steps of [2, 0, 1.5]) {
      try {
        h.target(steps, 'config');
        expect.unreachable();
      } catch (err) {
        expect(isHotswapError(err, 'HS_ERR_UNIT_ROLLBACK')).toBe(true);
      }
    }
  });

  it('clears all but the live entry, and restores a saved state', () => {
    const h = new SnapshotHistory<string>(10);
    for (const v of ['v0', 'v1', 'v2']) h.record(v, api, []);
    const saved = h.save();
    expect(h.clear()).toBe(2);
    expect(h.list().entries.map((e) => e.version)).toEqual(['v2']);
    h.restore(saved);
    expect(h.list().entries).toHaveLength(3);
    expect(() => new SnapshotHistory(0)).toThrow(TypeError);
  });
});
