/**
 * `hotswap drain [--timeout ms]` and `hotswap undrain`: make a running process finish its
 * in-flight work and refuse new work (before a restart or a deploy), and take it back.
 */
import type { Command } from 'commander';
import type { DrainResult } from '../../runtime/drain.js';
import {
  positiveInteger,
  printJson,
  remoteCommand,
  type TargetOptions,
  withSession,
} from '../_client.js';
import { formatDrainLines } from '../_client-format.js';
import { exitCodes } from '../exit-codes.js';
import { colors } from '../output.js';

/** Adds `drain` and `undrain` to the program. */
export function register(program: Command): void {
  remoteCommand(
    program,
    'drain',
    'Drain a running process: new work is refused; wait for in-flight work to finish.',
  )
    .option(
      '--timeout <ms>',
      'milliseconds to wait for in-flight work (default: the runtime drainTimeout)',
    )
    .option('--reason <text>', 'why (shown in the logs)')
    .addHelpText(
      'after',
      '\nExit codes: 0 drained, 1 the timeout passed with work still in flight (or undrain cancelled the wait), 2 usage, 3 cannot reach the process.\n',
    )
    .action(async (opts: TargetOptions & { timeout?: string; reason?: string }) => {
      const timeout = positiveInteger(opts.timeout, '--timeout', 0);
      await withSession(opts, async ({ client, by }) => {
        const result = await client.request<DrainResult>({
          op: 'drain',
          by,
          ...(timeout !== undefined ? { timeout: Math.min(timeout, 86_400_000) } : {}),
          ...(opts.reason !== undefined ? { reason: opts.reason.slice(0, 200) } : {}),
        });
        if (opts.json) printJson(result);
        else process.stdout.write(`${formatDrainLines(result, colors).join('\n')}\n`);
        process.exitCode = result.drained ? exitCodes.ok : exitCodes.failed;
      });
    });

  remoteCommand(
    program,
    'undrain',
    'Stop draining: a drained process takes new work again.',
  ).action(async (opts: TargetOptions) => {
    await withSession(opts, async ({ client, by }) => {
      const result = await client.request<{ draining: boolean }>({ op: 'undrain', by });
      if (opts.json) printJson(result);
      else process.stdout.write(`${colors.green('✔')} not draining: new work is accepted\n`);
    });
  });
}
