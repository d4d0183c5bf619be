/**
 * The app side of `hotswap run`: runs the entry through the loader and applies every file change
 * in place. Started by the supervisor with an IPC channel; it asks the supervisor for a restart
 * when a change reaches a module nothing accepts.
 *
 * Argument protocol (from the supervisor): `child.js <root> <entry> [app args...]`, options in
 * the HOTSWAP_RUN environment variable as JSON.
 */
import { extname, resolve } from 'node:path';
import { createLoader } from '../../loader/loader.js';
import { moduleExtensions } from '../../loader/transform.js';
import type { LoaderUpdate } from '../../loader/update.js';
import { createWatcher } from '../../triggers/watcher.js';
import { colors, formatError, formatMs, formatUpdate, shortPath } from './format.js';
import type { ChildMessage, ParentMessage, RunSettings } from './protocol.js';

const [, , rootArg, entryArg, ...appArgs] = process.argv;
const settings = JSON.parse(process.env.HOTSWAP_RUN ?? '{}') as RunSettings;
delete process.env.HOTSWAP_RUN;
const root = resolve(rootArg ?? '.');
const entry = resolve(entryArg ?? '');
// The app sees itself as `node <entry> [args]`, as it would without hotswap.
process.argv = [process.argv[0]!, entry, ...appArgs];

/** HOTSWAP_DEBUG=1 prints every watcher batch: what the watcher saw, before any filtering. */
const debug = process.env.HOTSWAP_DEBUG === '1';
const log = (line: string): void => {
  if (!settings.quiet) process.stderr.write(`${line}\n`);
};
const send = (message: ChildMessage): void => {
  if (process.connected) process.send?.(message);
};

const loader = createLoader({
  root,
  onInvalidate: ({ importers }) => schedule(() => apply(importers, importers)),
});

let started = false;
let failing = false;
let lastError = '';
/** Batches seen so far: an error is shown only if no newer batch follows it at once. */
let batches = 0;
/** A failed update whose error waits to be shown (see `reportFailure`). */
let pendingError: NodeJS.Timeout | undefined;
/**
 * How long an error waits for a newer batch before it is printed. A large file is written in
 * several chunks and a batch may catch it half-written: the next batch (a few ms later) brings the
 * rest, and the transient error is noise, never the final state.
 */
const ERROR_GRACE_MS = 25;

/** Prints an error unless it is the very one printed last (a retry that failed the same way). */
function logError(err: unknown): void {
  const text = formatError(root, err);
  if (text === lastError) return;
  lastError = text;
  log(text);
}

/** Shows a failed update after a short grace, unless a newer batch has arrived by then. */
function reportFailure(err: unknown): void {
  clearTimeout(pendingError);
  const batch = batches;
  failing = true;
  pendingError = setTimeout(() => {
    pendingError = undefined;
    if (batch !== batches) return;
    const first = lastError === '';
    const before = lastError;
    logError(err);
    if (first || lastError !== before) log(colors.dim('the last good version keeps running'));
  }, ERROR_GRACE_MS);
}

/** Whether a batch can matter to the app: a file in the graph, or one the loader could import. */
function relevant(files: Iterable<string>): string[] {
  return [...files].filter((f) => loader.has(f) || moduleExtensions.includes(extname(f)));
}
let chain: Promise<void> = Promise.resolve();

/** Runs reload work one at a time, in order. Never rejects. */
function schedule(work: () => Promise<void>): Promise<void> {
  chain = chain.then(work).catch((err: unknown) => logError(err));
  return chain;
}

async function start(): Promise<void> {
  const t0 = performance.now();
  try {
    await loader.import(entry);
    started = true;
    if (failing)
      log(
        `${colors.green('✔')} recovered: ${shortPath(root, entry)} started ${colors.dim(formatMs(performance.now() - t0))}`,
      );
    failing = false;
    lastError = '';
    send({ type: 'started' });
  } catch (err) {
    if (!failing) log(colors.dim('waiting for a change to retry…'));
    failing = true;
    logError(err);
  }
}

async function apply(files: Iterable<string>, force?: Iterable<string>): Promise<void> {
  if (!started) return start();
  const t0 = performance.now();
  let update: LoaderUpdate;
  try {
    update = await loader.update(files, force ? { force } : undefined);
  } catch (err) {
    reportFailure(err);
    send({ type: 'failed' });
    return;
  }
  const ms = performance.now() - t0;
  if (update.outcome === 'unchanged') return;
  if (update.outcome === 'restart-required') {
    const reason = update.restart?.message.replaceAll(`${root}/`, '') ?? 'restart required';
    if (settings.restart) {
      log(`${colors.yellow('⟳')} restart: ${reason}`);
      send({ type: 'restart', reason });
    } else {
      log(`${colors.yellow('!')} ${reason} (--no-restart: the running version stays)`);
    }
    return;
  }
  log(formatUpdate(root, update, ms));
  for (const warning of update.warnings) log(`${colors.yellow('!')} ${warning.message}`);
  clearTimeout(pendingError);
  pendingError = undefined;
  // "recovered" only follows an error the user saw.
  if (failing && lastError !== '') log(`${colors.green('✔')} recovered`);
  failing = false;
  lastError = '';
  send({ type: 'reloaded', ms, files: update.reevaluated.length });
}

// The channel to the supervisor must not keep the app alive: an app that is done exits, as it
// would without hotswap (in watch mode the watcher keeps the process up).
process.channel?.unref();
process.on('message', (message: ParentMessage) => {
  if (message.type === 'reload-all') {
    schedule(() => {
      const files = loader.files();
      return apply(files, files);
    });
  }
});

const watcher = settings.watch
  ? createWatcher({
      paths: [root],
      // A save is handed over at once; a burst still ends in one trailing batch.
      leading: true,
      onBatch: (batch) => {
        batches++;
        if (debug)
          log(
            colors.dim(
              `[hotswap] batch: ${[...batch.files].map((f) => shortPath(root, f)).join(', ')}`,
            ),
          );
        const files = relevant(batch.files);
        return files.length === 0 ? undefined : schedule(() => apply(files));
      },
      onError: (err) => logError(err),
    })
  : undefined;

// The app starts while the watcher walks the tree (a 1000-file app would otherwise wait for it);
// once the watcher is ready, one comparison of every loaded file catches a save made meanwhile.
await schedule(start);
if (watcher) {
  await watcher.ready;
  // A failed start is retried too: its fix may have been saved before the watcher started.
  await schedule(() => (started ? apply(loader.files()) : start()));
}
