/**
 * One benchmark at a time on this machine: two runs at once (two engineers in one working tree)
 * measure each other. The lock is a file holding the runner's pid, taken with an exclusive
 * create; a lock whose pid is gone is stale and taken over.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { sleep } from './stats.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock at `file`, waiting up to `timeoutMs` for another run to finish. Resolves a
 * release function; the lock is also released when the process exits.
 */
export async function takeRunLock(
  file: string,
  timeoutMs: number,
  log: (message: string) => void,
): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    if (!Number.isInteger(owner) || !alive(owner)) {
      await unlink(file).catch(() => {});
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`another benchmark run (pid ${owner}) still holds ${file}`);
    }
    if (!told) log(`another benchmark run (pid ${owner}) is in progress: waiting for it to end`);
    told = true;
    await sleep(5_000);
  }
  const release = (): void => {
    try {
      if (readFileSync(file, 'utf8') === String(process.pid)) unlinkSync(file);
    } catch {
      // Already gone.
    }
  };
  process.on('exit', release);
  return release;
}
