/** `hotswap run <entry> [args...]`: run an app with the hot loader and the file watcher. */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { HotswapError } from '../../errors.js';
import { exitCodes } from '../exit-codes.js';
import { runSupervised } from '../run/supervisor.js';

/** Nearest folder at or above `from` that holds a package.json, else `from`. */
function packageRoot(from: string): string {
  let dir = from;
  for (;;) {
    if (existsSync(resolve(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return from;
    dir = parent;
  }
}

/** Adds `run` to the program. */
export function register(program: Command): void {
  program
    .command('run')
    .description(
      'Run a TypeScript/JavaScript entry with hot reload in place: the process, its sockets and its state survive every change a module accepts.',
    )
    .argument('<entry>', 'the app entry file (.ts, .tsx, .mts, .js, .mjs)')
    .argument('[args...]', 'arguments for the app')
    .option('--root <dir>', 'folder whose files are hot (default: the package folder of the entry)')
    .option('--no-restart', 'never restart the app; report changes that need a restart instead')
    .option('--no-watch', 'do not watch files (reload with r + Enter only)')
    .option(
      '--node-arg <flag>',
      'a Node.js flag for the app process (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option('-q, --quiet', 'print errors only')
    .passThroughOptions()
    .addHelpText(
      'after',
      '\nExamples:\n  hotswap run src/server.ts\n  hotswap run --node-arg=--expose-gc src/server.ts --port 3000\n',
    )
    .action(
      async (
        entry: string,
        args: string[],
        opts: {
          root?: string;
          restart: boolean;
          watch: boolean;
          nodeArg: string[];
          quiet?: boolean;
        },
      ) => {
        const entryPath = resolve(entry);
        if (!existsSync(entryPath)) {
          throw Object.assign(new HotswapError('HS_ERR_CLI_USAGE', `entry not found: ${entry}`), {
            exitCode: exitCodes.usage,
          });
        }
        const root = resolve(opts.root ?? packageRoot(dirname(entryPath)));
        process.exitCode = await runSupervised({
          root,
          entry: entryPath,
          args,
          nodeArgs: opts.nodeArg,
          restart: opts.restart,
          watch: opts.watch,
          quiet: Boolean(opts.quiet),
        });
      },
    );
}
