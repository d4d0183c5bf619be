import { describe, expect, it } from 'vitest';
import { isHotswapError } from '../../errors.js';
import {
  compileKeyPattern,
  deletePath,
  formatKeyPath,
  getPath,
  hasPath,
  parseKeyPath,
  setPath,
} from './key-path.js';

describe('key paths', () => {
  it('formats plain keys with dots and other keys in quoted brackets, and parses both back', () => {
    expect(formatKeyPath(['llm', 'model'])).toBe('llm.model');
    expect(formatKeyPath(['hosts', 'a.b', 'port'])).toBe('hosts["a.b"].port');
    expect(formatKeyPath(['irc', 'channels', 0])).toBe('irc.channels.0');
    for (const keys of [
      ['llm', 'model'],
      ['hosts', 'a.b', 'port'],
      ['x y', 'é"q'],
    ]) {
      expect(parseKeyPath(formatKeyPath(keys))).toEqual(keys);
    }
  });

  it.each([
    ['', 'empty'],
    ['a..b', 'empty key'],
    ['a.', 'ends with a dot'],
    ['a["b', 'unclosed'],
    ['__proto__.polluted', 'not allowed'],
    ['a.constructor', 'not allowed'],
  ])('rejects %j with HS_ERR_CONFIG_OVERRIDE', (path, why) => {
    try {
      parseKeyPath(path);
      expect.unreachable();
    } catch (err) {
      expect(isHotswapError(err, 'HS_ERR_CONFIG_OVERRIDE')).toBe(true);
      expect((err as Error).message).toContain(why);
    }
  });

  it('gets, sets and deletes through objects and arrays without touching prototypes', () => {
    const root: Record<string, unknown> = { a: { list: [1, { x: 2 }] }, s: 'str' };
    expect(getPath(root, ['a', 'list', '1', 'x'])).toBe(2);
    expect(hasPath(root, ['a', 'list', '5'])).toBe(false);
    expect(getPath(root, ['toString'])).toBeUndefined();
    setPath(root, ['a', 'list', '0'], 9);
    setPath(root, ['s', 'deep'], true); // a scalar in the way is replaced by an object
    setPath(root, ['new', 'key'], 'v');
    expect(root).toEqual({ a: { list: [9, { x: 2 }] }, s: { deep: true }, new: { key: 'v' } });
    deletePath(root, ['new', 'key']);
    expect(root.new).toEqual({});
  });

  it('matches globs: * is one key, ** any number, a pattern covers what is under it', () => {
    const p = (s: string) => compileKeyPattern(s);
    expect(p('llm.*').covers(['llm', 'model'])).toBe(true);
    expect(p('llm.*').covers(['llm', 'options', 'x'])).toBe(true);
    expect(p('llm.*').covers(['llm'])).toBe(false);
    expect(p('llm.*').overlaps(['llm'])).toBe(true);
    expect(p('irc').covers(['irc', 'host'])).toBe(true);
    expect(p('irc.host').covers(['irc'])).toBe(false);
    expect(p('irc.host').overlaps(['irc'])).toBe(true);
    expect(p('**.apiKey').covers(['a', 'b', 'apiKey'])).toBe(true);
    expect(p('**.apiKey').covers(['apiKey'])).toBe(true);
    expect(p('llm.api*').covers(['llm', 'apiKey'])).toBe(true);
    expect(p('llm.api*').covers(['llm', 'model'])).toBe(false);
    expect(p('other').overlaps(['llm', 'model'])).toBe(false);
    expect(() => compileKeyPattern('a..b')).toThrow(TypeError);
  });
});
