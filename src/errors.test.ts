import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorCodes, HotswapError, isHotswapError, oneLine, serializeError } from './errors.js';

describe('error catalogue', () => {
  it('documents every code in docs/errors.md', () => {
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const missing = Object.keys(errorCodes).filter((code) => !doc.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('recognises hotswap errors by code, not by class identity', () => {
    const err = new HotswapError('HS_ERR_LOADER_SYNTAX', 'Unexpected token', {
      location: { file: '/app/a.ts', line: 3, column: 7 },
    });
    // A copy of the error made by another realm or bundle keeps the brand through the symbol.
    const foreign = Object.assign(Object.create(Error.prototype), {
      code: 'HS_ERR_LOADER_SYNTAX',
      [Symbol.for('hotswap.error')]: true,
    });
    expect(isHotswapError(err, 'HS_ERR_LOADER_SYNTAX')).toBe(true);
    expect(isHotswapError(err, 'HS_ERR_LOADER_LINK')).toBe(false);
    expect(isHotswapError(foreign, 'HS_ERR_LOADER_SYNTAX')).toBe(true);
    expect(isHotswapError(new Error('x'))).toBe(false);
    expect(err.where).toBe('/app/a.ts:3:7');
  });

  it('serialises cause chains and non-errors', () => {
    const cause = Object.assign(new Error('disk full'), { code: 'ENOSPC' });
    const err = new HotswapError('HS_ERR_CONFIG_READ', 'cannot read config.yaml', {
      cause,
      unit: 'config',
    });
    const json = serializeError(err);
    expect(json).toMatchObject({
      code: 'HS_ERR_CONFIG_READ',
      unit: 'config',
      cause: { code: 'ENOSPC', message: 'disk full' },
    });
    expect(serializeError('plain')).toEqual({ name: 'Error', message: 'plain' });
    expect(oneLine(new Error('a\n  b\nc'))).toBe('a b c');
  });
});
