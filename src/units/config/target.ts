/**
 * A config target: the operations a person can ask of a config, as plain JSON-able data, so the
 * same CLI actions drive a config in this process today and a running process over the control
 * socket later (a remote client implements this interface; the actions do not change).
 * Everything a target returns is already redacted.
 */
import type { SerializedError } from '../../errors.js';
import type { Trigger } from '../unit.js';
import type { Config, ConfigReport, SnapshotInfo } from './types.js';

/** What `info` shows of a config. */
export interface ConfigInfo {
  /** Unit name. */
  name: string;
  /** True once a version is live. */
  loaded: boolean;
  /** Generation of the live version. */
  generation: number;
  /** Environment name of the `<env>` layer. */
  env: string | undefined;
  /** Every layer file, in merge order (absolute). */
  layers: readonly string[];
  /** Files the live version was read from. */
  files: readonly string[];
  /** Content hash of the live version. */
  hash: string | undefined;
  /** Live overrides, redacted. */
  overrides: Record<string, unknown>;
  /** Keys changed on disk that wait for a restart. */
  restartRequired: readonly string[];
  /** Number of snapshots kept. */
  snapshots: number;
  /** The last reload error, until a reload succeeds. */
  lastError: SerializedError | undefined;
}

/** The operations of a config that the CLI (and later the control socket) offers. */
export interface ConfigTarget {
  /** Where the config lives, for messages: `config.yaml (this process)`, `pid 4121`. */
  readonly description: string;
  /** State of the config. */
  info(): Promise<ConfigInfo>;
  /** The live config, redacted. */
  show(): Promise<unknown>;
  /** Reload (or only validate) from the files. */
  reload(options?: { validateOnly?: boolean }): Promise<ConfigReport>;
  /** Return `steps` snapshots back. */
  rollback(steps: number): Promise<ConfigReport>;
  /** Snapshots, newest first, redacted. */
  snapshots(): Promise<SnapshotInfo[]>;
  /** Drop every snapshot but the live one; resolves how many were dropped. */
  clearSnapshots(): Promise<number>;
  /** Set an override (`llm.temperature`, `"0.9"`) and reload. */
  setOverride(key: string, value: string): Promise<ConfigReport>;
  /** Remove an override and reload. */
  clearOverride(key: string): Promise<ConfigReport>;
}

/**
 * A {@link ConfigTarget} over a config in this process.
 * @example
 * const target = configTarget(config, { trigger: { kind: 'api', by: 'cli' } });
 * const report = await target.reload();
 */
export function configTarget<T>(
  config: Config<T>,
  options: { description?: string; trigger?: Trigger } = {},
): ConfigTarget {
  const trigger = options.trigger ?? { kind: 'api' };
  return {
    description: options.description ?? `${config.name} (this process)`,
    async info() {
      const status = config.status();
      const d = (status.details ?? {}) as Record<string, unknown>;
      return {
        name: config.name,
        loaded: config.loaded,
        generation: config.generation,
        env: config.envName,
        layers: config.watchPaths(),
        files: (d.files as string[] | undefined) ?? [],
        hash: d.hash as string | undefined,
        overrides: (d.overrides as Record<string, unknown> | undefined) ?? {},
        restartRequired: (d.restartRequired as string[] | undefined) ?? [],
        snapshots: (d.snapshots as number | undefined) ?? 0,
        lastError: status.lastError,
      };
    },
    async show() {
      return config.redacted();
    },
    reload: (o = {}) =>
      config.loaded ? config.reload({ ...o, trigger }) : config.load({ trigger }),
    rollback: (steps) => config.rollback(steps, { trigger: { ...trigger, kind: 'rollback' } }),
    snapshots: async () => config.snapshots(),
    clearSnapshots: () => config.clearSnapshots(),
    setOverride: (key, value) => config.setOverride(key, value, { trigger }),
    clearOverride: (key) => config.clearOverride(key, { trigger }),
  };
}
