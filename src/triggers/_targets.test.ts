import { describe, expect, it } from 'vitest';
import { createTargetSet, isInside } from './_targets.js';

describe('target set', () => {
  it('covers files below a folder target, minus the default and user ignores', () => {
    const targets = createTargetSet((path) => path.endsWith('.log'));
    targets.add('/app/src');
    expect(targets.covers('/app/src')).toBe(true);
    expect(targets.covers('/app/src/a/b.ts')).toBe(true);
    for (const ignored of [
      '/app/src/node_modules/x/index.js',
      '/app/src/.git/HEAD',
      '/app/src/dist/out.js',
      '/app/src/.a.ts.swp',
      '/app/src/a.ts~',
      '/app/src/4913',
      '/app/src/.#a.ts',
      '/app/src/debug.log',
    ]) {
      expect(targets.covers(ignored), ignored).toBe(false);
    }
    expect(targets.covers('/app/other.ts')).toBe(false);
    expect(targets.covers('/app/srcx/a.ts')).toBe(false);
  });

  it('applies default ignores only below the target, never to the target itself', () => {
    const targets = createTargetSet();
    targets.add('/home/me/dist/app');
    targets.add('/home/me/node_modules/pkg/config.json');
    expect(targets.covers('/home/me/dist/app/index.ts')).toBe(true);
    expect(targets.covers('/home/me/node_modules/pkg/config.json')).toBe(true);
  });

  it('tells the folder watch to enter only a target, what is below it and the folders above it', () => {
    const targets = createTargetSet();
    targets.add('/cfg/config.yaml');
    expect(targets.watches('/cfg/config.yaml', '/cfg')).toBe(true);
    expect(targets.watches('/cfg/config.yaml', '/cfg/config.yaml')).toBe(true);
    expect(targets.watches('/cfg/config.yaml', '/cfg/..data')).toBe(false);
    expect(targets.watches('/cfg/config.yaml', '/cfg/..2026_11_22')).toBe(false);
  });

  it('routes events next to or above a target to it', () => {
    const targets = createTargetSet();
    targets.add('/cfg/config.yaml');
    targets.add('/cfg/secret.yaml');
    expect(targets.siblingsOf('/cfg/..data')).toEqual(
      new Set(['/cfg/config.yaml', '/cfg/secret.yaml']),
    );
    expect(targets.below('/')).toEqual(['/cfg/config.yaml', '/cfg/secret.yaml']);
    expect(targets.below('/cfg/config.yaml')).toEqual([]);
    expect(targets.relevant('/cfg/..data_tmp')).toBe(true);
    expect(targets.relevant('/cfg')).toBe(true);
    expect(targets.relevant('/elsewhere/x')).toBe(false);
  });

  it('counts references', () => {
    const targets = createTargetSet();
    expect(targets.add('/a/b')).toBe(true);
    expect(targets.add('/a/b')).toBe(false);
    expect(targets.delete('/a/b')).toBe(false);
    expect(targets.has('/a/b')).toBe(true);
    expect(targets.delete('/a/b')).toBe(true);
    expect(targets.size).toBe(0);
    expect(targets.relevant('/a/c')).toBe(false);
    expect(targets.relevant('/a')).toBe(false);
  });

  it('knows what is inside what', () => {
    expect(isInside('/a/b', '/a')).toBe(true);
    expect(isInside('/a', '/a')).toBe(false);
    expect(isInside('/ab', '/a')).toBe(false);
    expect(isInside('/a', '/')).toBe(true);
  });
});
