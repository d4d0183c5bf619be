/**
 * The lines `hotswap run` prints: one per reload, errors with their code frame, and a clear line
 * when a broken state recovers. Paths are shown relative to the app root.
 */
import { relative } from 'node:path';
import pc from 'picocolors';
import { isHotswapError, oneLine } from '../../errors.js';
import type { LoaderUpdate } from '../../loader/update.js';

/** Colours for stderr (where `hotswap run` writes), off when it is not a terminal. */
export const colors = pc.createColors(
  Boolean(process.stderr.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb',
);

/** `src/routes.ts` for a file under `root`. */
export function shortPath(root: string, file: string): string {
  const rel = relative(root, file);
  return rel.startsWith('..') ? file : rel;
}

/** Milliseconds with one decimal under 100, none above. */
export function formatMs(ms: number): string {
  return ms < 100 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/** `↻ src/routes.ts +2 importers 3.1 ms` */
export function formatUpdate(root: string, update: LoaderUpdate, ms: number): string {
  const files = update.changed.length > 0 ? update.changed : update.removed;
  const shown = files.slice(0, 3).map((f) => shortPath(root, f));
  if (files.length > 3) shown.push(`+${files.length - 3} more`);
  const importers = update.reevaluated.length - update.changed.length;
  const parts = [shown.join(', ')];
  if (importers > 0) parts.push(`+${importers} importer${importers === 1 ? '' : 's'}`);
  if (update.added.length > 0) parts.push(`+${update.added.length} new`);
  if (update.removed.length > 0 && update.changed.length > 0)
    parts.push(`-${update.removed.length} deleted`);
  if (update.pruned.length > 0) parts.push(`${update.pruned.length} pruned`);
  return `${colors.green('↻')} ${parts.join(' ')} ${colors.dim(formatMs(ms))}`;
}

/** An error with its location (relative) and code frame, ready for stderr. */
export function formatError(root: string, err: unknown): string {
  if (isHotswapError(err)) {
    const lines = [`${colors.red('✖')} ${oneLine(err.message.replaceAll(`${root}/`, ''))}`];
    if (err.frame) lines.push(err.frame);
    if (err.hint) lines.push(colors.dim(err.hint));
    return lines.join('\n');
  }
  return `${colors.red('✖')} ${err instanceof Error ? (err.stack ?? err.message) : oneLine(err)}`;
}
