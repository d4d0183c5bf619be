/** `hotswap history`: the reports a running process keeps, oldest first. */
import type { Command } from 'commander';
import type { ReloadReport } from '../../runtime/report.js';
import {
  positiveInteger,
  printJson,
  remoteCommand,
  type TargetOptions,
  withSession,
} from '../_client.js';
import { formatHistoryLines } from '../_client-format.js';
import { colors } from '../output.js';

/** Adds `history` to the program. */
export function register(program: Command): void {
  remoteCommand(
    program,
    'history',
    'List the reload reports a running process keeps, oldest first.',
  )
    .option('--limit <n>', 'only the newest n reports')
    .action(async (opts: TargetOptions & { limit?: string }) => {
      const limit = positiveInteger(opts.limit, '--limit');
      await withSession(opts, async ({ client }) => {
        const reports = await client.request<ReloadReport[]>({
          op: 'history',
          ...(limit !== undefined ? { limit: Math.min(limit, 1000) } : {}),
        });
        if (opts.json) printJson(reports);
        else process.stdout.write(`${formatHistoryLines(reports, colors).join('\n')}\n`);
      });
    });
}
