/**
 * Child process for the watcher test: watches the folder given as argument, sees one change,
 * closes the watcher and then simply returns. If the watcher left a handle or a timer behind,
 * the process would not exit on its own.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createWatcher } from '../../src/triggers/watcher.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: watcher-exit.ts <folder>');
const file = join(dir, 'a.txt');
await writeFile(file, 'one');

let seen!: () => void;
const changed = new Promise<void>((resolve) => {
  seen = resolve;
});
const watcher = createWatcher({
  paths: [dir],
  onBatch: ({ files }) => {
    if (files.has(file)) seen();
  },
  onError: (err) => {
    console.error(err);
    process.exitCode = 1;
  },
});
await watcher.ready;
await writeFile(file, 'two');
await changed;
// A write right before close: its timers and events must not keep the process alive either.
await writeFile(file, 'three');
await watcher.close();
console.log('closed');
