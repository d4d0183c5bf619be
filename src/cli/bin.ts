#!/usr/bin/env node
/** The `hotswap` executable: runs the CLI and sets the exit code. */
import { oneLine } from '../errors.js';
import { exitCodes } from './exit-codes.js';
import { main } from './main.js';

// `hotswap --help | head`: a reader that stops early is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`hotswap: ${oneLine(err)}\n`);
    process.exitCode = exitCodes.failed;
  },
);
