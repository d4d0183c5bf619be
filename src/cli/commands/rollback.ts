/** `hotswap rollback [unit] [--steps N]`: return units of a running process to earlier versions. */
import type { Command } from 'commander';
import type { ReloadReport } from '../../runtime/report.js';
import { positiveInteger, remoteCommand, type TargetOptions, withSession } from '../_client.js';
import { printReport } from './reload.js';

/** Adds `rollback` to the program. */
export function register(program: Command): void {
  remoteCommand(
    program,
    'rollback',
    'Return a unit (default: every unit that keeps versions) to the version committed N commits ago.',
  )
    .argument('[unit]', 'the unit to roll back (default: all that can)')
    .option('--steps <n>', 'how many commits back', '1')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 the rollback failed, 2 usage, 3 cannot reach the process.\n\nExamples:\n  hotswap rollback config --steps 2\n',
    )
    .action(async (unit: string | undefined, opts: TargetOptions & { steps: string }) => {
      const steps = positiveInteger(opts.steps, '--steps') ?? 1;
      await withSession(opts, async ({ client, by }) => {
        const report = await client.request<ReloadReport>({
          op: 'rollback',
          by,
          steps,
          ...(unit !== undefined ? { unit } : {}),
        });
        printReport(report, opts.json);
      });
    });
}
