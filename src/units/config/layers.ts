/**
 * Which files make up a config, and in what order they are merged (later wins):
 *
 * 1. every base file, in the order given (`config.yaml`, `secrets.toml`);
 * 2. every base file's environment variant, `config.<env>.yaml` (only when an environment is
 *    named);
 * 3. every base file's local variant, `config.local.yaml` (machine-specific, not committed).
 *
 * Variants are optional: a missing one is skipped, and the watcher is still told its path so
 * creating it later is noticed. A `.env` base file gets `.env.<env>` and `.env.local`.
 * Environment variables and overrides come after every file (see `env.ts`, `overrides.ts`).
 */
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { HotswapError } from '../../errors.js';
import { type ConfigFormat, formatOf } from './parse.js';

/** A config file given by the user, with its options. */
export interface ConfigFileSpec {
  /** Path of the file, relative to `cwd`. */
  path: string;
  /** When true, a missing file is skipped instead of failing the reload. @default false */
  optional?: boolean;
  /** Format, when the file name does not tell. @default from the extension */
  format?: ConfigFormat;
}

/** One file of the layer stack. */
export interface LayerFile {
  /** Absolute path. */
  readonly path: string;
  /** The path relative to `cwd`, for messages. */
  readonly display: string;
  /** Which tier the file belongs to. */
  readonly tier: 'base' | 'env' | 'local';
  /** A missing optional file is skipped. */
  readonly optional: boolean;
  /** How the file is parsed. */
  readonly format: ConfigFormat;
}

/** Options of {@link resolveLayers}. */
export interface LayerOptions {
  /** Directory relative paths are resolved against. */
  cwd: string;
  /** Environment name (`production`), or undefined for none. */
  env: string | undefined;
  /** Add the `<env>` and `local` variants of each base file. @default true */
  layered?: boolean;
}

/**
 * Lists the layer files in merge order. Called once, when the config is created; throws a
 * `TypeError` for a file whose format cannot be told, or an environment name that is not a
 * plain word (it becomes part of a file name).
 * @example
 * resolveLayers(['config.yaml'], { cwd: '/app', env: 'prod' }).map((l) => l.display);
 * // ['config.yaml', 'config.prod.yaml', 'config.local.yaml']
 */
export function resolveLayers(
  files: readonly (string | ConfigFileSpec)[],
  options: LayerOptions,
): LayerFile[] {
  if (options.env !== undefined && !/^[\w-]+(\.[\w-]+)*$/.test(options.env)) {
    throw new TypeError(`environment name "${options.env}" must be a plain word like "production"`);
  }
  const specs = files.map((f) => (typeof f === 'string' ? { path: f } : f));
  if (specs.length === 0) throw new TypeError('a config needs at least one file');
  const layers: LayerFile[] = [];
  const seen = new Set<string>();
  const add = (path: string, tier: LayerFile['tier'], optional: boolean, format?: ConfigFormat) => {
    const abs = resolve(options.cwd, path);
    if (seen.has(abs)) return;
    seen.add(abs);
    const fmt = format ?? formatOf(abs);
    if (!fmt) {
      throw new TypeError(
        `cannot tell the format of ${path}: use .yaml, .yml, .json, .jsonc, .json5, .toml or .env, or set { format }`,
      );
    }
    layers.push({
      path: abs,
      display: relative(options.cwd, abs) || abs,
      tier,
      optional,
      format: fmt,
    });
  };
  for (const s of specs) add(s.path, 'base', s.optional ?? false, s.format);
  if (options.layered !== false) {
    if (options.env !== undefined) {
      for (const s of specs) add(variantPath(s.path, options.env), 'env', true, s.format);
    }
    for (const s of specs) add(variantPath(s.path, 'local'), 'local', true, s.format);
  }
  return layers;
}

/**
 * The name of a variant of `file`: the suffix goes before the extension (`config.local.yaml`),
 * or after the name for dotenv files (`.env.local`).
 * @example
 * variantPath('conf/app.toml', 'prod'); // 'conf/app.prod.toml'
 */
export function variantPath(file: string, suffix: string): string {
  const name = basename(file);
  const ext = extname(name);
  const varied =
    name.startsWith('.env') || ext === ''
      ? `${name}.${suffix}`
      : `${name.slice(0, -ext.length)}.${suffix}${ext}`;
  return join(dirname(file), varied);
}

/** Raised for a file that cannot be read. Called in prepare. */
export function readError(layer: LayerFile, cause: unknown, unit: string): HotswapError {
  const code = (cause as NodeJS.ErrnoException).code ?? 'EIO';
  const hints: Record<string, string> = {
    ENOENT: 'the file does not exist: create it, fix the path, or mark it { optional: true }',
    EACCES: 'the process may not read the file: check its permissions',
    EPERM: 'the process may not read the file: check its permissions',
    EISDIR: 'the path is a directory, not a file',
  };
  return new HotswapError('HS_ERR_CONFIG_READ', `cannot read ${layer.display} (${code})`, {
    unit,
    cause,
    hint: hints[code] ?? 'the live configuration is unchanged',
  });
}
