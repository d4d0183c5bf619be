/**
 * The `hotswap` command. Only this file exits the process: commands throw errors that carry an
 * `exitCode` (0 ok, 1 reload failed or rolled back, 2 usage, 3 cannot reach the process).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isHotswapError, oneLine } from '../errors.js';
import { registerCommands } from './commands/index.js';
import { exitCodes } from './exit-codes.js';
import { printError } from './output.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/**
 * Builds the command tree: only the command `first` names, when it names one (see
 * `registerCommands`), else all of them. Exported for tests, which parse without exiting.
 */
export async function createProgram(first?: string): Promise<Command> {
  const program = new Command('hotswap')
    .description(
      'Swap code, commands, configuration and services inside a running Node.js process.',
    )
    .version(pkg.version, '-v, --version')
    .showSuggestionAfterError(true)
    .enablePositionalOptions()
    .exitOverride();
  await registerCommands(program, first);
  return program;
}

/** Runs the CLI and resolves the exit code instead of exiting. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = await createProgram(argv[0]);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : exitCodes.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are "errors" for commander; they exit 0.
      if (err.exitCode === 0) return exitCodes.ok;
      return exitCodes.usage;
    }
    if (isHotswapError(err)) {
      printError(err);
      return err.exitCode ?? exitCodes.failed;
    }
    process.stderr.write(`hotswap: ${oneLine(err)}\n`);
    return exitCodes.failed;
  }
}
