import { describe, expect, it } from 'vitest';
import { readError, resolveLayers, variantPath } from './layers.js';

describe('layers', () => {
  it('orders base files, then environment variants, then local variants', () => {
    const layers = resolveLayers(['config.yaml', { path: 'extra.toml', optional: true }], {
      cwd: '/app',
      env: 'production',
    });
    expect(layers.map((l) => [l.display, l.tier, l.optional, l.format])).toEqual([
      ['config.yaml', 'base', false, 'yaml'],
      ['extra.toml', 'base', true, 'toml'],
      ['config.production.yaml', 'env', true, 'yaml'],
      ['extra.production.toml', 'env', true, 'toml'],
      ['config.local.yaml', 'local', true, 'yaml'],
      ['extra.local.toml', 'local', true, 'toml'],
    ]);
    expect(layers[0]?.path).toBe('/app/config.yaml');
  });

  it('names dotenv variants after the name, skips env variants without an env, and can turn variants off', () => {
    expect(resolveLayers(['.env'], { cwd: '/a', env: 'dev' }).map((l) => l.display)).toEqual([
      '.env',
      '.env.dev',
      '.env.local',
    ]);
    expect(resolveLayers(['c.json5'], { cwd: '/a', env: undefined }).map((l) => l.display)).toEqual(
      ['c.json5', 'c.local.json5'],
    );
    expect(resolveLayers(['c.json'], { cwd: '/a', env: 'x', layered: false })).toHaveLength(1);
    expect(variantPath('conf/app.toml', 'prod')).toBe('conf/app.prod.toml');
  });

  it('lists a file once even when named twice', () => {
    const layers = resolveLayers(['config.yaml', 'config.local.yaml'], {
      cwd: '/a',
      env: undefined,
    });
    expect(layers.map((l) => l.display)).toEqual([
      'config.yaml',
      'config.local.yaml',
      'config.local.local.yaml',
    ]);
  });

  it('refuses unknown formats and environment names that are not plain words', () => {
    expect(() => resolveLayers(['config.ini'], { cwd: '/a', env: undefined })).toThrow(
      /format of config\.ini/,
    );
    expect(() => resolveLayers(['c.yaml'], { cwd: '/a', env: '../etc' })).toThrow(/plain word/);
    expect(() => resolveLayers([], { cwd: '/a', env: undefined })).toThrow(/at least one file/);
    expect(
      resolveLayers([{ path: 'settings', format: 'toml' }], { cwd: '/a', env: undefined })[0]
        ?.format,
    ).toBe('toml');
  });

  it('explains read errors by their system code', () => {
    const [layer] = resolveLayers(['c.yaml'], { cwd: '/a', env: undefined, layered: false });
    const err = readError(layer!, Object.assign(new Error('x'), { code: 'EACCES' }), 'config');
    expect(err.code).toBe('HS_ERR_CONFIG_READ');
    expect(err.message).toBe('cannot read c.yaml (EACCES)');
    expect(err.hint).toMatch(/permissions/);
  });
});
