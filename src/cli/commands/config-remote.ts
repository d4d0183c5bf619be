/**
 * `hotswap config reload|rollback|snapshots|show`: the config actions of `hotswap config
 * interactive`, run against a config unit of a running process over its control socket. The
 * actions and their formatting are the very ones of the offline commands: only the
 * {@link ConfigTarget} is remote.
 *
 * These use the config's own API (its reload reports every changed key, secrets redacted);
 * `hotswap rehash` reloads every config unit as a runtime transaction instead.
 */
import type { Command } from 'commander';
import { isHotswapError } from '../../errors.js';
import type { ControlClient } from '../../triggers/control-socket-client.js';
import {
  type ConfigInfo,
  type ConfigReport,
  type ConfigTarget,
  configIssues,
  formatConfigIssues,
  type SnapshotInfo,
} from '../../units/config/index.js';
import {
  positiveInteger,
  printJson,
  type Session,
  type TargetOptions,
  targetOptions,
  usageError,
  withSession,
} from '../_client.js';
import { colors } from '../output.js';
import { type CommandIO, configActions } from './config.js';

/**
 * A {@link ConfigTarget} over the control socket: each operation is one request for the config
 * unit `unit` (default: the process's only config unit).
 * @example
 * const target = remoteConfigTarget(client, 'config', 'bot (pid 4121)');
 * await configActions.r.run(target, '', io);
 */
export function remoteConfigTarget(
  client: ControlClient,
  unit: string | undefined,
  description: string,
  by?: string,
): ConfigTarget {
  const named = unit === undefined ? {} : { unit };
  const who = by === undefined ? {} : { by };
  const unsupported = (what: string) =>
    Promise.reject(usageError(`${what} is not offered over the control socket`));
  return {
    description,
    info: () => client.request<ConfigInfo>({ op: 'config.info', ...named }),
    show: () => client.request<unknown>({ op: 'config.show', ...named }),
    snapshots: () => client.request<SnapshotInfo[]>({ op: 'config.snapshots', ...named }),
    reload: (options = {}) =>
      client.request<ConfigReport>({
        op: 'config.reload',
        ...named,
        ...who,
        ...(options.validateOnly ? { validateOnly: true } : {}),
      }),
    rollback: (steps) =>
      client.request<ConfigReport>({ op: 'config.rollback', ...named, ...who, steps }),
    clearSnapshots: () => unsupported('clearing snapshots'),
    setOverride: () => unsupported('setting an override'),
    clearOverride: () => unsupported('clearing an override'),
  };
}

function io(): CommandIO {
  return {
    input: process.stdin,
    out: process.stdout,
    err: process.stderr,
    color: colors.isColorSupported,
  };
}

type RemoteConfigOptions = TargetOptions & { unit?: string };

/** Runs one config action remotely; config issues are printed each with its frame (exit 1). */
async function runRemote(
  opts: RemoteConfigOptions,
  fn: (target: ConfigTarget, session: Session) => Promise<void>,
): Promise<void> {
  await withSession(opts, async (session) => {
    const target = remoteConfigTarget(session.client, opts.unit, session.client.path, session.by);
    try {
      await fn(target, session);
    } catch (err) {
      const issues = configIssues(err);
      if (issues.length > 0 && !opts.json) {
        process.stderr.write(`${formatConfigIssues(issues, colors).join('\n')}\n`);
      }
      if (opts.json && isHotswapError(err)) {
        const { code, message, location, frame, hint } = err;
        printJson({ error: { code, message, location, frame, hint }, issues });
      }
      throw err;
    }
  });
}

function remote(command: Command): Command {
  return targetOptions(command).option('--unit <name>', 'the config unit (default: the only one)');
}

/** Adds the remote sub-commands to the `config` command. */
export function registerRemote(config: Command): void {
  remote(
    config
      .command('reload')
      .description(
        'Reload the config of a running process from its files; print every changed key.',
      ),
  )
    .option('--validate-only', 'read and validate, report what would change, apply nothing')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 the new config is invalid (the live one stays), 2 usage, 3 cannot reach the process.\n',
    )
    .action(async (opts: RemoteConfigOptions & { validateOnly?: boolean }) => {
      await runRemote(opts, async (target) => {
        if (opts.json) printJson(await target.reload({ validateOnly: opts.validateOnly === true }));
        else await configActions[opts.validateOnly ? 'v' : 'r']!.run(target, '', io());
      });
    });

  remote(
    config
      .command('rollback')
      .description('Return the config of a running process to an earlier snapshot.'),
  )
    .option('--steps <n>', 'how many snapshots back', '1')
    .action(async (opts: RemoteConfigOptions & { steps: string }) => {
      const steps = positiveInteger(opts.steps, '--steps') ?? 1;
      await runRemote(opts, async (target) => {
        if (opts.json) printJson(await target.rollback(steps));
        else await configActions.b!.run(target, String(steps), io());
      });
    });

  remote(
    config
      .command('snapshots')
      .description('List the config snapshots of a running process, newest first.'),
  ).action(async (opts: RemoteConfigOptions) => {
    await runRemote(opts, async (target) => {
      if (opts.json) printJson(await target.snapshots());
      else await configActions.s!.run(target, '', io());
    });
  });

  remote(
    config
      .command('show')
      .description('Show the live config of a running process (secrets redacted) and its state.'),
  ).action(async (opts: RemoteConfigOptions) => {
    await runRemote(opts, async (target) => {
      if (opts.json) printJson({ info: await target.info(), config: await target.show() });
      else {
        await configActions.i!.run(target, '', io());
        await configActions.p!.run(target, '', io());
      }
    });
  });
}
