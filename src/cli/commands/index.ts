/**
 * Every sub-command of `hotswap`, one module each. A command module exports one
 * `register(program)` that adds its command; this list is the only place they meet.
 */
import type { Command } from 'commander';
import { register as registerConfig } from './config.js';
import { register as registerRun } from './run.js';

/** Adds every sub-command to `program`. */
export function registerCommands(program: Command): void {
  registerRun(program);
  registerConfig(program);
}
