/**
 * Every sub-command of `hotswap`, one module each. A command module exports one
 * `register(program)` that adds its command; this list is the only place they meet.
 */
import type { Command } from 'commander';
import { register as registerConfig } from './config.js';
import { register as registerDrain } from './drain.js';
import { register as registerHistory } from './history.js';
import { register as registerRehash } from './rehash.js';
import { register as registerReload } from './reload.js';
import { register as registerRollback } from './rollback.js';
import { register as registerRun } from './run.js';
import { register as registerStatus } from './status.js';

/** Adds every sub-command to `program`. */
export function registerCommands(program: Command): void {
  registerRun(program);
  registerConfig(program);
  registerReload(program);
  registerRehash(program);
  registerStatus(program);
  registerRollback(program);
  registerDrain(program);
  registerHistory(program);
}
