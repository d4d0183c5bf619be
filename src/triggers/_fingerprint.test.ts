import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/temp-dir.js';
import { type Fingerprint, isRacy, observe, sameStat } from './_fingerprint.js';

const fp = (mtimeMs: number, ctimeMs = mtimeMs): Fingerprint => ({
  dev: 1,
  ino: 2,
  size: 3,
  mtimeMs,
  ctimeMs,
});

describe('fingerprint', () => {
  it('is racy when the file changed less than a clock tick before the stat', () => {
    const now = 1_700_000_000_123.5;
    expect(isRacy(fp(now - 5), now)).toBe(true);
    expect(isRacy(fp(now - 500), now)).toBe(false);
    // utimes can set mtime to the past; ctime still tells when the file changed.
    expect(isRacy(fp(now - 86_400_000, now - 1), now)).toBe(true);
    // Whole-second timestamps: the file system may tick once a second (or two).
    expect(isRacy(fp(1_700_000_000_000), 1_700_000_001_500)).toBe(true);
    expect(isRacy(fp(1_700_000_000_000), 1_700_000_003_000)).toBe(false);
  });

  it('compares every stat field', () => {
    expect(sameStat(fp(1), fp(1))).toBe(true);
    expect(sameStat(fp(1), fp(2))).toBe(false);
    expect(sameStat(fp(1, 1), fp(1, 2))).toBe(false);
    expect(sameStat(fp(1), { ...fp(1), ino: 9 })).toBe(false);
    expect(sameStat(fp(1), { ...fp(1), size: 9 })).toBe(false);
  });

  it('observes files, folders and absent paths, following symlinks', async () => {
    const dir = await tempDir();
    const file = join(dir, 'a.txt');
    await writeFile(file, 'abc');
    const seen = await observe(file);
    expect(seen).toMatchObject({ kind: 'file', fingerprint: { size: 3 } });
    expect(await observe(dir)).toMatchObject({ kind: 'dir' });
    expect(await observe(join(dir, 'missing'))).toEqual({ kind: 'missing' });
    expect(await observe(join(file, 'below-a-file'))).toEqual({ kind: 'missing' });
  });
});
