/** `hotswap status`: units, generations, workers, leases, drain and the error state of a process. */
import type { Command } from 'commander';
import type { RuntimeStatus } from '../../runtime/status.js';
import { printJson, remoteCommand, type TargetOptions, withSession } from '../_client.js';
import { formatStatusLines } from '../_client-format.js';
import { exitCodes } from '../exit-codes.js';
import { colors } from '../output.js';

/** Adds `status` to the program. */
export function register(program: Command): void {
  remoteCommand(
    program,
    'status',
    'Show a running process: units and generations, workers, leases, drain, and the error state.',
  )
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 the process is in its error state (its last reload failed), 3 cannot reach the process.\n',
    )
    .action(async (opts: TargetOptions) => {
      await withSession(opts, async ({ client }) => {
        const [status, ping] = await Promise.all([
          client.request<RuntimeStatus>({ op: 'status' }),
          client.request<{ pid: number }>({ op: 'ping' }),
        ]);
        if (opts.json) printJson(status);
        else process.stdout.write(`${formatStatusLines(status, ping.pid, colors).join('\n')}\n`);
        process.exitCode = status.lastError ? exitCodes.failed : exitCodes.ok;
      });
    });
}
