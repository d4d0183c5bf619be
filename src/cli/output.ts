/** Human output of the CLI: colour only on a TTY (and never with NO_COLOR). */
import pc from 'picocolors';
import { isHotswapError } from '../errors.js';

/** Colour functions that are no-ops when stdout is not a colour terminal. */
export const colors = pc.createColors(
  Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb',
);

/** Prints an error with its location and code frame to stderr. */
export function printError(err: unknown): void {
  if (isHotswapError(err)) {
    const where = err.where ? ` ${colors.dim(err.where)}` : '';
    process.stderr.write(`${colors.red('✖')} ${err.message}${where}\n`);
    if (err.frame) process.stderr.write(`${err.frame}\n`);
    if (err.hint) process.stderr.write(`${colors.dim(err.hint)}\n`);
    return;
  }
  process.stderr.write(`${colors.red('✖')} ${err instanceof Error ? err.message : String(err)}\n`);
}
