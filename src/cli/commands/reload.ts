/** `hotswap reload [unit...]`: reload a running process, all of it or some units. */
import type { Command } from 'commander';
import type { ReloadReport } from '../../runtime/report.js';
import { printJson, remoteCommand, type TargetOptions, withSession } from '../_client.js';
import { formatReportLines } from '../_client-format.js';
import { exitCodes } from '../exit-codes.js';
import { colors } from '../output.js';

/** Prints a report (JSON or human) and sets the exit code: 0 ok, 1 failed or rolled back. */
export function printReport(report: ReloadReport, json: boolean | undefined): void {
  if (json) printJson(report);
  else process.stdout.write(`${formatReportLines(report, colors).join('\n')}\n`);
  process.exitCode = report.ok ? exitCodes.ok : exitCodes.failed;
}

/** Adds `reload` to the program. */
export function register(program: Command): void {
  remoteCommand(
    program,
    'reload',
    'Reload a running process: every unit, or the ones named (and their dependents).',
  )
    .argument('[units...]', 'units to reload (default: all)')
    .option('--no-dependents', 'do not include the units that depend on the named ones')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 the reload failed or was rolled back, 2 usage, 3 cannot reach the process.\n\nExamples:\n  hotswap reload\n  hotswap reload greeter --name bot --json\n',
    )
    .action(async (units: string[], opts: TargetOptions & { dependents: boolean }) => {
      await withSession(opts, async ({ client, by }) => {
        const report = await client.request<ReloadReport>({
          op: 'reload',
          by,
          ...(units.length > 0 ? { units } : {}),
          ...(opts.dependents === false ? { dependents: false } : {}),
        });
        printReport(report, opts.json);
      });
    });
}
