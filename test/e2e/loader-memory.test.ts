/**
 * Memory stays flat: hundreds of reloads of a module holding ~100 KB must not grow the heap,
 * on every Node.js major the project supports. Each run is a plain Node child with --expose-gc
 * (no test-runner transforms); Node 22 and 24 come from the npm registry (scripts/test.mjs).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, track } from '../helpers/process.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = join(repo, 'test', '.work', 'apps');
const probe = join(repo, 'test', 'fixtures', 'memory', 'probe.mjs');
const extraNodes = join(repo, 'test', '.work', 'nodes', 'node_modules');

const nodes: { name: string; bin: string | undefined }[] = [
  { name: `node ${process.versions.node} (this one)`, bin: process.execPath },
  { name: 'node 22', bin: join(extraNodes, 'node22', 'bin', 'node') },
  { name: 'node 24', bin: join(extraNodes, 'node24', 'bin', 'node') },
].map((n) => ({ ...n, bin: n.bin && existsSync(n.bin) ? n.bin : undefined }));

afterEach(killAll);

describe('memory is flat across reloads', () => {
  for (const node of nodes) {
    if (!node.bin) {
      console.warn(
        `\n!!! memory suite: ${node.name} is not installed under test/.work/nodes; that run is SKIPPED.\n`,
      );
    }
    const skipped = node.bin
      ? ''
      : ' — SKIPPED: binary not installed (scripts/test.mjs installs it from the npm registry)';
    it.skipIf(!node.bin)(
      `${node.name}: 600 reloads of a ~100 KB module grow the heap by under 1 KB each${skipped}`,
      async () => {
        mkdirSync(work, { recursive: true });
        const run = track(node.bin!, [
          '--expose-gc',
          probe,
          join(repo, 'dist'),
          work,
          '100',
          '600',
        ]);
        const { code } = await run.exited;
        expect(code, run.stderr.join('\n')).toBe(0);
        const result = JSON.parse(run.stdout.at(-1) ?? '{}') as {
          bytesPerReload: number;
          tracesRegistered: number;
        };
        console.log(`memory ${node.name}: ${JSON.stringify(result)}`);
        expect(result.bytesPerReload).toBeLessThan(1024);
        // Source maps of replaced versions are released with them.
        expect(result.tracesRegistered).toBeLessThan(50);
      },
    );
  }
});
