/**
 * Every sub-command of `hotswap`, one module each. A command module exports one
 * `register(program)` that adds its command; this list is the only place they meet. Modules are
 * imported on demand: `hotswap run` does not pay for the config command's parsers (~190 ms of
 * startup, measured) before it can start the app.
 */
import type { Command } from 'commander';

type CommandModule = { register(program: Command): void };

const commands: Record<string, () => Promise<CommandModule>> = {
  run: () => import('./run.js'),
  config: () => import('./config.js'),
  reload: () => import('./reload.js'),
  rehash: () => import('./rehash.js'),
  status: () => import('./status.js'),
  rollback: () => import('./rollback.js'),
  drain: () => import('./drain.js'),
  history: () => import('./history.js'),
};

/**
 * Adds sub-commands to `program`: only `only` when it names one (the command line's first
 * word), else every one, in the order `hotswap --help` lists them.
 */
export async function registerCommands(program: Command, only?: string): Promise<void> {
  const names =
    only !== undefined && Object.hasOwn(commands, only) ? [only] : Object.keys(commands);
  const modules = await Promise.all(names.map((name) => commands[name]!()));
  for (const module of modules) module.register(program);
}
