/**
 * Child process for the watcher test (run with --expose-gc): hands over many batches and prints
 * the heap after a warm-up and at the end, as JSON. A watcher that kept anything per batch
 * (batches, hints, timers, folder handles) would grow with the number of batches.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWatcher } from '../../src/triggers/watcher.js';

const [dir, warmup = '500', total = '3000'] = process.argv.slice(2);
if (!dir || typeof globalThis.gc !== 'function') throw new Error('usage: node --expose-gc ...');
const gc = globalThis.gc;
const files = Array.from({ length: 10 }, (_, i) => join(dir, `m${i}.ts`));
for (const file of files) writeFileSync(file, 'export {};');

let batches = 0;
let wake: (() => void) | undefined;
const watcher = createWatcher({
  paths: [dir],
  settle: 1,
  maxWait: 5,
  onBatch: () => {
    batches++;
    wake?.();
  },
});
await watcher.ready;

async function rounds(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const next = batches + 1;
    writeFileSync(files[i % files.length] as string, `export const v = ${batches};`);
    while (batches < next) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  }
}

function heap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

await rounds(Number(warmup));
const before = heap();
await rounds(Number(total) - Number(warmup));
const after = heap();
await watcher.close();
console.log(JSON.stringify({ batches, before, after }));
