/**
 * Flat memory and no leftovers: 2000 reloads of a small unit (with a worker paused around each
 * one, a listener and an interval per version, a lease per reload) do not grow the heap, and
 * close leaves no timer or listener behind. Run in a plain Node child with --expose-gc, through
 * tsx. The bound is on memory, never on time.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, track } from '../helpers/process.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const probe = join(repo, 'test', 'fixtures', 'runtime-memory', 'main.ts');

afterEach(killAll);

describe('runtime memory', () => {
  it('2000 reloads grow the heap by under 1 KB each and leave no timers or listeners', async () => {
    const run = track(process.execPath, ['--expose-gc', '--import', 'tsx', probe, '300', '2000'], {
      cwd: repo,
    });
    const { code } = await run.exited;
    expect(code, run.stderr.join('\n')).toBe(0);
    const result = JSON.parse(run.stdout.at(-1) ?? '{}') as {
      bytesPerReload: number;
      during: { listeners: number; versions: number; history: number };
      listenersAfterClose: number;
      timers: { before: string[]; after: string[] };
      processListeners: { before: number; after: number };
    };
    console.log(`runtime memory: ${JSON.stringify(result)}`);
    expect(result.bytesPerReload).toBeLessThan(1024);
    // While running: one listener (the live version's), one live version, a bounded history.
    expect(result.during).toEqual({ listeners: 1, versions: 1, history: 20 });
    expect(result.listenersAfterClose).toBe(0);
    expect(result.timers.after).toEqual(result.timers.before);
    expect(result.processListeners.after).toBe(result.processListeners.before);
  });
});
