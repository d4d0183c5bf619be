import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../test/helpers/temp-dir.js';
import { createFileIndex } from './_file-index.js';
import { type Fingerprint, type Observation, observe } from './_fingerprint.js';
import { createTargetSet } from './_targets.js';

vi.mock('./_fingerprint.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./_fingerprint.js')>();
  return { ...actual, observe: vi.fn(actual.observe) };
});

const { observe: realObserve } =
  await vi.importActual<typeof import('./_fingerprint.js')>('./_fingerprint.js');

describe('file index', () => {
  it('reports what stat says, not what the hints say', async () => {
    const dir = await tempDir();
    const a = join(dir, 'a.ts');
    await writeFile(a, 'a');
    const targets = createTargetSet();
    targets.add(dir);
    const index = createFileIndex(targets, (err) => {
      throw err;
    });
    await index.seed(dir);
    expect(index.size).toBe(1);
    // A hint for a file that did not change, and one for a temp file that is gone already.
    expect(await index.collect([a, join(dir, 'a.ts.tmp')])).toEqual({
      changed: [],
      added: [],
      removed: [],
      held: [],
    });
    await writeFile(join(dir, 'b.ts'), 'b');
    expect(await index.collect([join(dir, 'b.ts')])).toEqual({
      changed: [],
      added: [join(dir, 'b.ts')],
      removed: [],
      held: [],
    });
  });

  it('compares content when a write may hide in the clock tick of the last stat', async () => {
    const dir = await tempDir();
    const file = join(dir, 'racy.ts');
    await writeFile(file, 'aaaa');
    // A file system whose clock did not tick between the writes: every stat looks the same.
    const frozen: Fingerprint = { dev: 1, ino: 2, size: 4, mtimeMs: 1, ctimeMs: 1 };
    let racy = true;
    vi.mocked(observe).mockImplementation(
      async (path): Promise<Observation> =>
        path === file ? { kind: 'file', fingerprint: frozen, racy } : realObserve(path),
    );
    const targets = createTargetSet();
    targets.add(dir);
    const index = createFileIndex(targets, (err) => {
      throw err;
    });
    await index.seed(dir);
    const none = { changed: [], added: [], removed: [], held: [] };

    await writeFile(file, 'bbbb');
    expect(await index.collect([file])).toEqual({ ...none, changed: [file] });
    expect(await index.collect([file])).toEqual(none);

    // Once a stat comes after the tick, equal stats are trusted and the hash is dropped.
    racy = false;
    expect(await index.collect([file])).toEqual(none);
    await writeFile(file, 'cccc');
    expect(await index.collect([file])).toEqual(none);
    vi.mocked(observe).mockImplementation(realObserve);
  });
});
