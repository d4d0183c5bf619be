/** `hotswap rehash`: reload the configuration of a running process (what SIGHUP does). */
import type { Command } from 'commander';
import type { ReloadReport } from '../../runtime/report.js';
import { remoteCommand, type TargetOptions, withSession } from '../_client.js';
import { printReport } from './reload.js';

/** Adds `rehash` to the program. */
export function register(program: Command): void {
  remoteCommand(
    program,
    'rehash',
    'Reload the configuration of a running process: every config unit, and what depends on it (as SIGHUP does).',
  )
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 the reload failed or was rolled back, 2 usage, 3 cannot reach the process.\n',
    )
    .action(async (opts: TargetOptions) => {
      await withSession(opts, async ({ client, by }) => {
        printReport(await client.request<ReloadReport>({ op: 'rehash', by }), opts.json);
      });
    });
}
