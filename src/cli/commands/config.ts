/**
 * `hotswap config validate|interactive <file...>`: check and drive a config offline, in this
 * process. Every interactive action is a function over a {@link ConfigTarget}, so the commands
 * that talk to a running process (`hotswap config reload|rollback|snapshots|show`, with the
 * control socket) reuse them with a remote target.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { type Command, Option } from 'commander';
import pc from 'picocolors';
import { HotswapError, isHotswapError } from '../../errors.js';
import {
  type Config,
  type ConfigTarget,
  configIssues,
  configTarget,
  createConfig,
  formatConfigInfo,
  formatConfigIssues,
  formatConfigReport,
  formatConfigSnapshots,
  parseOverrideArg,
  type TextStyle,
} from '../../units/config/index.js';
import { exitCodes } from '../exit-codes.js';
import { registerRemote } from './config-remote.js';

/** Where a command reads and writes; the process streams by default. */
export interface CommandIO {
  input: Readable;
  out: Writable;
  err: Writable;
  /** Colour output (only on a colour terminal). */
  color: boolean;
}

/** Options shared by `validate` and `interactive`. */
export interface ConfigCommandOptions {
  /** Module exporting a Standard Schema as `default` or `schema`. */
  schema?: string;
  /** Environment name for the `<name>.<env>.<ext>` layers. */
  env?: string;
  /** Read environment variables with this prefix as a layer. */
  envPrefix?: string;
  /** `key=value` overrides. */
  override?: string[];
  /** Extra secret key paths. */
  secret?: string[];
  /** Key paths whose change needs a restart. */
  restartRequired?: string[];
  /** Add the `<env>` and `local` layers (commander's `--no-layers` sets false). */
  layers?: boolean;
  /** Print JSON (validate). */
  json?: boolean;
}

function processIO(): CommandIO {
  return {
    input: process.stdin,
    out: process.stdout,
    err: process.stderr,
    color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb',
  };
}

function styleOf(io: CommandIO): TextStyle {
  return pc.createColors(io.color);
}

function usage(message: string, hint?: string): HotswapError {
  return Object.assign(new HotswapError('HS_ERR_CLI_USAGE', message, { hint }), {
    exitCode: exitCodes.usage,
  });
}

function failed(err: HotswapError): HotswapError {
  err.exitCode ??= exitCodes.failed;
  return err;
}

/**
 * Loads a Standard Schema from a module: `.js`/`.mjs` are imported as they are; `.ts`/`.mts`
 * are stripped of types with oxc-transform into a temporary `.mjs` beside the module (so its
 * package imports resolve from there), imported, and removed. Kept alone in this function so
 * it can switch to the hot loader's TypeScript support later. Throws a usage error (exit 2).
 * @example
 * const schema = await loadSchemaModule('config.schema.ts');
 */
export async function loadSchemaModule(file: string): Promise<StandardSchemaV1> {
  const path = resolve(file);
  if (!existsSync(path)) throw usage(`schema module not found: ${file}`);
  let url = pathToFileURL(path).href;
  let temp: string | undefined;
  if (['.ts', '.mts', '.cts'].includes(extname(path))) {
    const { transformSync } = await import('oxc-transform');
    const result = transformSync(path, readFileSync(path, 'utf8'), {
      lang: 'ts',
      sourceType: 'module',
    });
    const first = result.errors[0];
    if (first) throw usage(`cannot compile ${file}: ${first.message}`);
    temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.mjs`);
    writeFileSync(temp, result.code);
    url = pathToFileURL(temp).href;
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw Object.assign(
      new HotswapError(
        'HS_ERR_CLI_USAGE',
        `cannot load schema module ${file}: ${(err as Error).message}`,
        { cause: err },
      ),
      {
        exitCode: exitCodes.usage,
      },
    );
  } finally {
    if (temp) rmSync(temp, { force: true });
  }
  const schema = [mod.default, mod.schema].find(
    (s) =>
      typeof s === 'object' &&
      s !== null &&
      typeof (s as StandardSchemaV1)['~standard']?.validate === 'function',
  );
  if (!schema) {
    throw usage(
      `${file} exports no Standard Schema`,
      'export the schema (zod, valibot, arktype ...) as `default` or `schema`',
    );
  }
  return schema as StandardSchemaV1;
}

/** Builds the config the offline commands work on. Throws usage errors for bad options. */
export async function configFromOptions(
  files: readonly string[],
  opts: ConfigCommandOptions,
): Promise<Config> {
  const schema = opts.schema ? await loadSchemaModule(opts.schema) : undefined;
  const overrides: Record<string, string> = {};
  for (const arg of opts.override ?? []) {
    try {
      const { key, value } = parseOverrideArg(arg);
      overrides[key] = value;
    } catch (err) {
      throw usage((err as Error).message, (err as HotswapError).hint);
    }
  }
  try {
    return createConfig({
      files,
      env: opts.env ?? false,
      layered: opts.layers,
      envPrefix: opts.envPrefix,
      schema,
      overrides,
      secrets: opts.secret,
      restartRequired: opts.restartRequired,
    }) as Config;
  } catch (err) {
    throw usage((err as Error).message);
  }
}

function countLeaves(value: unknown): number {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 1;
  return Object.values(value).reduce<number>((n, v) => n + countLeaves(v), 0);
}

/**
 * `hotswap config validate`: load every layer, validate, print every issue with its file:line
 * and code frame. Resolves when valid; throws with exit code 1 when not, 2 on usage errors.
 */
export async function runValidate(
  files: readonly string[],
  opts: ConfigCommandOptions,
  io: CommandIO = processIO(),
): Promise<void> {
  const s = styleOf(io);
  const config = await configFromOptions(files, opts);
  try {
    const report = await config.load({ trigger: { kind: 'api', by: 'hotswap config validate' } });
    if (opts.json) {
      io.out.write(
        `${JSON.stringify({ valid: true, files: report.files, config: config.redacted() }, null, 2)}\n`,
      );
      return;
    }
    io.out.write(
      `${s.green('✔')} valid: ${report.files.join(' + ')} (${countLeaves(config.current)} keys)\n`,
    );
  } catch (err) {
    if (!isHotswapError(err)) throw err;
    const issues = configIssues(err);
    if (opts.json) {
      io.out.write(
        `${JSON.stringify({ valid: false, error: { code: err.code, message: err.message, location: err.location, hint: err.hint }, issues }, null, 2)}\n`,
      );
    } else if (issues.length > 0) {
      io.err.write(`${formatConfigIssues(issues, s).join('\n')}\n`);
    }
    if (issues.length === 0) throw failed(err);
    const n = issues.length;
    throw failed(
      new HotswapError(err.code, `configuration is invalid: ${n} issue${n === 1 ? '' : 's'}`, {
        unit: err.unit,
        hint: err.hint,
      }),
    );
  }
}

/** One interactive action over a config target. Prints its result; throws what it cannot do. */
export type ConfigAction = (target: ConfigTarget, arg: string, io: CommandIO) => Promise<void>;

const write = (io: CommandIO, lines: string[]): void => {
  io.out.write(`${lines.join('\n')}\n`);
};

/**
 * The interactive actions by key. Each works on any {@link ConfigTarget}, local or remote.
 * `o key=value` sets an override, `o key` clears it.
 */
export const configActions: Readonly<Record<string, { help: string; run: ConfigAction }>> = {
  r: {
    help: 'reload from the files',
    run: async (t, _a, io) => write(io, formatConfigReport(await t.reload(), styleOf(io))),
  },
  v: {
    help: 'validate the files without applying them',
    run: async (t, _a, io) =>
      write(io, formatConfigReport(await t.reload({ validateOnly: true }), styleOf(io))),
  },
  s: {
    help: 'list snapshots',
    run: async (t, _a, io) => write(io, formatConfigSnapshots(await t.snapshots(), styleOf(io))),
  },
  b: {
    help: 'roll back [steps] snapshots (default 1)',
    run: async (t, arg, io) => {
      const steps = arg === '' ? 1 : Number(arg);
      if (!Number.isInteger(steps) || steps < 1)
        throw usage(`rollback steps must be a positive integer, not "${arg}"`);
      write(io, formatConfigReport(await t.rollback(steps), styleOf(io)));
    },
  },
  c: {
    help: 'clear snapshots (keeps the live one)',
    run: async (t, _a, io) => {
      const n = await t.clearSnapshots();
      write(io, [
        `${styleOf(io).green('✔')} cleared ${n} snapshot${n === 1 ? '' : 's'}; the live one is kept`,
      ]);
    },
  },
  i: {
    help: 'show config info',
    run: async (t, _a, io) =>
      write(io, formatConfigInfo(await t.info(), await t.show(), styleOf(io))),
  },
  p: {
    help: 'print the live config (secrets redacted)',
    run: async (t, _a, io) => write(io, [JSON.stringify(await t.show(), null, 2)]),
  },
  o: {
    help: 'set an override: o key=value (o key clears it)',
    run: async (t, arg, io) => {
      if (arg === '') throw usage('o needs key=value (or a key to clear)');
      const report = arg.includes('=')
        ? await (async () => {
            const { key, value } = parseOverrideArg(arg);
            return t.setOverride(key, value);
          })()
        : await t.clearOverride(arg);
      write(io, formatConfigReport(report, styleOf(io)));
    },
  },
};

function helpLines(): string[] {
  return [
    'commands:',
    ...Object.entries(configActions).map(([k, a]) => `  ${k.padEnd(2)} ${a.help}`),
    '  h  this help',
    '  q  quit',
  ];
}

function printActionError(err: unknown, io: CommandIO): void {
  const s = styleOf(io);
  const issues = configIssues(err);
  if (issues.length > 0) {
    io.err.write(
      `${formatConfigIssues(issues, s).join('\n')}\n${s.dim('the live configuration is unchanged')}\n`,
    );
    return;
  }
  if (isHotswapError(err)) {
    io.err.write(`${s.red('✖')} ${err.message}${err.where ? ` ${s.dim(err.where)}` : ''}\n`);
    if (err.frame) io.err.write(`${err.frame}\n`);
    if (err.hint) io.err.write(`${s.dim(err.hint)}\n`);
    return;
  }
  io.err.write(`${s.red('✖')} ${err instanceof Error ? err.message : String(err)}\n`);
}

/**
 * `hotswap config interactive`: a session of one-letter commands over a config target. Reads
 * lines from `io.input` (a terminal or a pipe) until `q` or the end of input.
 */
export async function runInteractive(
  target: ConfigTarget,
  io: CommandIO = processIO(),
): Promise<void> {
  const s = styleOf(io);
  const tty = (io.input as { isTTY?: boolean }).isTTY === true;
  io.out.write(`${s.bold('hotswap config')}: ${target.description}\n${helpLines().join('\n')}\n`);
  try {
    write(io, formatConfigReport(await target.reload(), s));
  } catch (err) {
    printActionError(err, io);
  }
  const rl = createInterface({ input: io.input, output: tty ? io.out : undefined, terminal: tty });
  const prompt = () => tty && rl.prompt();
  rl.setPrompt('config> ');
  prompt();
  for await (const raw of rl) {
    const line = raw.trim();
    const [cmd = '', ...rest] = line.split(/\s+/);
    const arg = rest.join(' ');
    if (line === '') {
      prompt();
      continue;
    }
    if (cmd === 'q' || cmd === 'quit') break;
    if (!tty) io.out.write(`${s.dim(`> ${line}`)}\n`);
    const action = configActions[cmd];
    if (cmd === 'h' || cmd === '?' || cmd === 'help') write(io, helpLines());
    else if (!action)
      io.err.write(`${s.red('✖')} unknown command "${cmd}"; h lists the commands\n`);
    else {
      try {
        await action.run(target, arg, io);
      } catch (err) {
        printActionError(err, io);
      }
    }
    prompt();
  }
  rl.close();
  io.out.write('bye\n');
}

const collect = (value: string, all: string[]) => [...all, value];

function sharedOptions(cmd: Command): Command {
  return cmd
    .argument(
      '<file...>',
      'base config files, merged in order (YAML, JSON/JSONC/JSON5, TOML, .env)',
    )
    .option(
      '--schema <module>',
      'module exporting a Standard Schema as default or `schema` (.ts or .js)',
    )
    .option('--env <name>', 'environment name: also read <name>.<env>.<ext> layers')
    .option(
      '--env-prefix <prefix>',
      'read environment variables with this prefix (APP_LLM__MODEL -> llm.model)',
    )
    .option('-o, --override <key=value>', 'override a key (repeatable)', collect, [])
    .option('--secret <key>', 'treat a key path as secret (repeatable)', collect, [])
    .option('--no-layers', 'read only the files given, not their <env> and local layers');
}

/** Adds `config` and its sub-commands to the program. */
export function register(program: Command): void {
  const config = program
    .command('config')
    .description(
      'Validate and drive layered configuration: offline (validate, interactive), or in a running process through its control socket (reload, rollback, snapshots, show).',
    );

  sharedOptions(
    config
      .command('validate')
      .description('Validate config files against a schema; print every issue with file:line.'),
  )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  hotswap config validate config.yaml --schema config.schema.ts --env production\n',
    )
    .action(async (files: string[], opts: ConfigCommandOptions) => {
      await runValidate(files, opts);
    });

  sharedOptions(
    config
      .command('interactive')
      .description('Reload, validate, roll back and override a config interactively.'),
  )
    .addOption(
      new Option('--restart-required <key>', 'a key whose change needs a restart (repeatable)')
        .argParser(collect)
        .default([]),
    )
    .addHelpText('after', '\nCommands in the session: r v s b [steps] c i p o key=value q\n')
    .action(async (files: string[], opts: ConfigCommandOptions) => {
      const cfg = await configFromOptions(files, opts);
      await runInteractive(
        configTarget(cfg, {
          description: files.join(' + '),
          trigger: { kind: 'api', by: 'hotswap config interactive' },
        }),
      );
    });

  registerRemote(config);
}
