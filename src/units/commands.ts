/**
 * Command tables: a folder of command modules (a file, or a subfolder with an index file, each)
 * as one unit. Each module exports its binds (trigger words), help, optional channel limits and
 * a handler; the table maps words to commands and swaps atomically through a handle.
 *
 * A reload re-discovers the folder through the code unit (new modules load in the same
 * transaction) and reports each module as refreshed, added, removed or failed. A module that
 * fails (syntax error, throwing body, bad shape, a clash with another) keeps its last good
 * version while the others reload. A removed module's binds go with it, and its version's scope
 * (`import.meta.hot.scope`: timers, listeners) is disposed. Binds and channel limits changed at
 * runtime are kept apart from the modules and survive every reload.
 *
 * The table knows nothing of chat protocols: what a handler receives (`C`) is the app's business.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import {
  HotswapError,
  type SerializedError,
  type SourceLocation,
  serializeError,
} from '../errors.js';
import { listCommandModules, missingFolders } from './_commands-discover.js';
import { definitionOf, moduleError, shapeProblem } from './_commands-shape.js';
import {
  buildTable,
  type Candidate,
  fold,
  type LoadedModule,
  resolveConflicts,
} from './_commands-table.js';
import { type CodeUnit, codeUnitIn } from './code.js';
import { createHandle, type Handle, type Version } from './handle.js';
import type { UnitRegistry } from './hot-unit.js';
import type {
  PartResult,
  PrepareContext,
  PreparedChange,
  Unit,
  UnitHost,
  UnitStatus,
} from './unit.js';

/**
 * What a command module exports (see {@link defineCommand}). `C` is what the app passes to
 * handlers (a chat message with a way to reply, say).
 */
export interface CommandDefinition<C = unknown> {
  /** Trigger words, matched without case. @default [the module's name] */
  binds?: readonly string[];
  /** One line of help. A module without it has none: nothing is inherited. */
  help?: string;
  /** How to call it, e.g. `<nick> [reason]`. */
  usage?: string;
  /** Channels (rooms) the command answers in, matched without case. @default everywhere */
  channels?: readonly string[];
  /** Only admins may run it; the app's dispatcher checks who asked. @default false */
  admin?: boolean;
  /** Anything else the app wants to know about the command. @default {} */
  meta?: Readonly<Record<string, unknown>>;
  /** The handler. Runs on the version it started on, even if a reload replaces it meanwhile. */
  run(ctx: C): unknown;
}

/** One command of a table: its module's definition with the binds and limits in effect. */
export interface Command<C = unknown> {
  /** The module's name: its file name without extension, or its folder's name. */
  readonly name: string;
  /** Absolute path of the module file. */
  readonly file: string;
  /** Words it answers to, lower-cased: its own binds, less the unbound ones, plus runtime binds. */
  readonly binds: readonly string[];
  /** Its help line, if its module has one. */
  readonly help: string | undefined;
  /** Its usage, if its module has one. */
  readonly usage: string | undefined;
  /** Channels it answers in; `undefined`: everywhere. Runtime limits win over the module's. */
  readonly channels: readonly string[] | undefined;
  /** Only admins may run it. */
  readonly admin: boolean;
  /** The module's `meta`. */
  readonly meta: Readonly<Record<string, unknown>>;
  /** Generation of the module file this version of the command comes from (1, 2, …). */
  readonly version: number;
  /** Runs the handler; a handler that throws rejects. */
  run(ctx: C): Promise<unknown>;
  /** Whether it answers in `channel` (`undefined`: a direct conversation). */
  allows(channel?: string): boolean;
}

/** One version of a command table: what `unit.handle.current` is. Immutable. */
export interface CommandTable<C = unknown> {
  /** Number of commands. */
  readonly size: number;
  /** The command a word triggers (without case), if any. */
  lookup(word: string): Command<C> | undefined;
  /** The command of this name (without case), if any. */
  get(name: string): Command<C> | undefined;
  /** Every command, by name. */
  list(): Command<C>[];
  /** Every bound word and the name of its command. */
  binds(): Map<string, string>;
  /** The bound word nearest to `word`, for "did you mean". */
  suggest(word: string): string[];
}

/** Binds and channel limits changed at runtime: kept apart from the modules, so reloads keep them. */
export interface CommandOverrides {
  /** Words bound at runtime (lower-cased), to the name of their command. */
  readonly binds: Readonly<Record<string, string>>;
  /** Words unbound at runtime, a module's own binds included (lower-cased). */
  readonly unbound: readonly string[];
  /** Channel limits set at runtime, per command name; `null`: everywhere. */
  readonly channels: Readonly<Record<string, readonly string[] | null>>;
}

/** A module whose latest version did not load: it keeps its last good version, if it had one. */
export interface CommandFailure {
  /** Command name. */
  name: string;
  /** Module file. */
  file: string;
  /** Why, with the file and line. */
  error: SerializedError;
  /** True when an earlier version still answers. */
  kept: boolean;
}

/** Options of {@link createCommandTable}. */
export interface CommandTableOptions {
  /** Unique unit name. @default 'commands' */
  name?: string;
  /** The folder (or folders) of command modules: absolute, or relative to the code unit's root. */
  dir: string | readonly string[];
  /**
   * Words no module may bind (the app's own commands); read at each reload. A module that binds
   * one is refused with `HS_ERR_COMMAND_CONFLICT`. @default none
   */
  reserved?: Iterable<string> | (() => Iterable<string>);
  /** Runtime binds and limits to start from (e.g. saved from `overrides()` by an earlier run). */
  overrides?: Partial<CommandOverrides>;
  /** Other units this one depends on (the code unit is added). @default [] */
  dependsOn?: readonly string[];
}

/** A command table unit. Create with {@link createCommandTable} or {@link commandTable}. */
export interface CommandTableUnit<C = unknown> extends Unit {
  readonly kind: 'commands';
  /** The stable reference to the live table: `handle.current.lookup(word)`. */
  readonly handle: Handle<CommandTable<C>>;
  /** Absolute paths of the command folders. */
  readonly dirs: readonly string[];
  /**
   * Binds `word` to `command` now (a new table version) and for good: reloads keep it.
   * Throws `HS_ERR_COMMAND_UNKNOWN` for an unknown command, `HS_ERR_COMMAND_CONFLICT` when
   * another command holds the word (unbind it first), `HS_ERR_UNIT_NOT_READY` before the first load.
   */
  bind(word: string, command: string): Command<C>;
  /** Unbinds `word` now and for good (a module's own bind too). False when nothing held it. */
  unbind(word: string): boolean;
  /**
   * Limits `command` to `channels` now and for good; `null`: everywhere; `undefined`: back to
   * what its module says. Throws `HS_ERR_COMMAND_UNKNOWN`.
   */
  setChannels(command: string, channels: readonly string[] | null | undefined): Command<C>;
  /** The runtime binds and limits in effect (plain data: save it, pass it back as `overrides`). */
  overrides(): CommandOverrides;
  /** Modules whose latest version did not load. */
  failures(): CommandFailure[];
  prepare(ctx: PrepareContext): Promise<PreparedChange | undefined>;
  status(): UnitStatus;
  watchPaths(): readonly string[];
  close(): Promise<void>;
}

/**
 * Identity helper for a command module's default export: types the handler's context and checks
 * the shape at once, so a bad export fails while the module loads (`HS_ERR_COMMAND_SHAPE`, at
 * its line) and the module keeps its last good version, timers and all.
 * @example
 * import { defineCommand } from 'hotswap';
 * export default defineCommand<{ args: string[]; reply(text: string): void }>({
 *   binds: ['roll', 'dice'],
 *   help: 'roll a die: roll [sides]',
 *   run(ctx) { ctx.reply(String(1 + Math.floor(Math.random() * Number(ctx.args[0] ?? 6)))); },
 * });
 */
export function defineCommand<C = unknown>(definition: CommandDefinition<C>): CommandDefinition<C> {
  const problem = shapeProblem(definition);
  if (problem) {
    throw new HotswapError('HS_ERR_COMMAND_SHAPE', `defineCommand: ${problem.message}`, {
      ...(problem.hint ? { hint: problem.hint } : {}),
    });
  }
  return definition;
}

const emptyOverrides: CommandOverrides = { binds: {}, unbound: [], channels: {} };

class CommandTableImpl<C> implements CommandTableUnit<C> {
  readonly name: string;
  readonly kind = 'commands' as const;
  readonly dependsOn: readonly string[];
  readonly handle: Handle<CommandTable<C>>;
  readonly dirs: readonly string[];
  readonly #code: CodeUnit;
  readonly #reserved: () => Iterable<string>;
  readonly #stopDiscovering: () => void;
  /** Files the table listed and the code unit owns for it (released when no longer listed). */
  readonly #owned = new Set<string>();
  /** The live modules, by file. */
  #live = new Map<string, LoadedModule>();
  #failures = new Map<string, CommandFailure>();
  #overrides: CommandOverrides;
  #host: UnitHost | undefined;

  constructor(code: CodeUnit, options: CommandTableOptions) {
    this.name = options.name ?? 'commands';
    this.#code = code;
    this.dependsOn = [code.name, ...(options.dependsOn ?? [])];
    const root = code.loader.root;
    this.dirs = [options.dir].flat().map((dir) => (isAbsolute(dir) ? dir : resolve(root, dir)));
    for (const dir of this.dirs) {
      if (dir !== root && !dir.startsWith(root + sep)) {
        throw new HotswapError(
          'HS_ERR_LOADER_UNSUPPORTED',
          `${this.name}: ${dir} is outside the app root ${root}`,
          { unit: this.name, hint: 'give the code unit a root that holds the command folders' },
        );
      }
    }
    const reserved = options.reserved ?? [];
    this.#reserved = typeof reserved === 'function' ? reserved : () => reserved;
    this.#overrides = normalise(options.overrides);
    this.handle = createHandle<CommandTable<C>>(this.name);
    this.#stopDiscovering = code.discover(
      this.name,
      () => {
        const files = listCommandModules(this.dirs).map((s) => s.file);
        for (const file of files) this.#owned.add(file);
        return files;
      },
      { partial: true },
    );
  }

  get generation(): number {
    return this.handle.generation;
  }

  attach(host: UnitHost): void {
    this.#host = host;
  }

  watchPaths(): readonly string[] {
    return this.dirs;
  }

  async prepare(_ctx: PrepareContext): Promise<PreparedChange | undefined> {
    const missing = missingFolders(this.dirs);
    if (missing.length > 0) {
      throw new HotswapError(
        'HS_ERR_COMMAND_FOLDER',
        `${this.name}: no command folder at ${missing.join(', ')}`,
        { unit: this.name, location: { file: missing[0]!, line: 1, column: 1 } },
      );
    }
    const sources = listCommandModules(this.dirs);
    const listed = new Set(sources.map((s) => s.file));
    const candidates: Candidate[] = sources.map((source) => this.#candidate(source));
    const reserved = this.#reservedWords();
    resolveConflicts(this.name, candidates, this.#overrides, reserved, (f) => this.#short(f));

    const parts: PartResult[] = [];
    const next = new Map<string, LoadedModule>();
    const failures = new Map<string, CommandFailure>();
    for (const c of candidates) {
      const module = c.fresh ?? c.live;
      if (module) next.set(c.file, module);
      if (c.fresh) {
        parts.push({ name: c.name, file: c.file, outcome: c.live ? 'refreshed' : 'added' });
      } else if (c.error !== undefined) {
        const error = this.#partError(c.error, c.name, c.file);
        parts.push({ name: c.name, file: c.file, outcome: 'failed', error });
        failures.set(c.file, { name: c.name, file: c.file, error, kept: c.live !== undefined });
      } else {
        const earlier = this.#failures.get(c.file);
        if (earlier) failures.set(c.file, earlier);
      }
    }
    const removed = [...this.#live.values()].filter((m) => !listed.has(m.file));
    for (const m of removed) parts.push({ name: m.name, file: m.file, outcome: 'removed' });
    // A module that never loaded and is gone now: its failure goes with it.
    for (const f of this.#failures.values()) {
      if (!f.kept && !listed.has(f.file))
        parts.push({ name: f.name, file: f.file, outcome: 'removed' });
    }
    const changed = parts.some((p) => p.outcome !== 'failed');
    if (parts.length === 0 && this.handle.ready) return undefined;

    let previous: Version<CommandTable<C>> | undefined;
    // Releases the code unit's hold on replaced module versions (see commit).
    let releaseHold: (() => void) | undefined;
    let swapped = false;
    let released: string[] = [];
    const before = { live: this.#live, failures: this.#failures, overrides: this.#overrides };
    let dropped: { word: string; name: string }[] = [];
    return {
      outcome: this.handle.ready ? 'refreshed' : 'added',
      summary: summarise(parts),
      parts,
      commit: () => {
        // Runtime binds and limits of a removed command end with it.
        const overrides = withoutCommands(
          this.#overrides,
          removed.map((m) => m.name),
        );
        if (changed || !this.handle.ready) {
          const built = buildTable<C>(next.values(), overrides, this.#reservedWords());
          dropped = built.dropped;
          previous = this.handle.swap(built.table);
          swapped = true;
          // Commands in flight on the previous table run on the previous module versions: keep
          // their scopes (timers, signal) until the table version retires, when its leases end.
          if (previous && previous.leases > 0) {
            this.#code.holdRetired(
              new Promise<void>((resolve) => {
                releaseHold = resolve;
              }),
            );
          }
        }
        this.#live = next;
        this.#failures = failures;
        this.#overrides = overrides;
        released = [...this.#owned].filter((file) => !listed.has(file));
        for (const file of released) {
          this.#owned.delete(file);
          this.#code.release(file, this.name);
        }
      },
      rollback: () => {
        releaseHold?.();
        for (const file of released) {
          this.#owned.add(file);
          this.#code.own(file, this.name, { partial: true });
        }
        this.#live = before.live;
        this.#failures = before.failures;
        this.#overrides = before.overrides;
        if (swapped) {
          swapped = false;
          const replaced = this.handle.restore(previous);
          if (replaced) void this.handle.retire(replaced);
        }
      },
      discard: () => {},
      finalize: () => {
        if (previous) {
          const release = (): void => releaseHold?.();
          this.handle.retire(previous).then(release, release);
        } else releaseHold?.();
        for (const { word, name } of dropped) {
          this.#host?.log.warn(
            { unit: this.name, word, command: name },
            `bind ${word} of ${name} is taken: dropped`,
          );
        }
      },
    };
  }

  bind(word: string, command: string): Command<C> {
    const table = this.handle.current;
    const w = checkWord(this.name, word);
    const target = this.#known(table, command);
    const holder = table.lookup(w);
    if (holder && holder.name !== target.name) {
      throw new HotswapError(
        'HS_ERR_COMMAND_CONFLICT',
        `${this.name}: \`${w}\` is bound to ${holder.name}`,
        { unit: this.name, hint: `unbind ${w} first` },
      );
    }
    if (this.#reservedWords().has(w)) {
      throw new HotswapError('HS_ERR_COMMAND_CONFLICT', `${this.name}: \`${w}\` is reserved`, {
        unit: this.name,
      });
    }
    const o = this.#overrides;
    this.#apply({
      ...o,
      binds: { ...o.binds, [w]: target.name },
      unbound: o.unbound.filter((x) => x !== w),
    });
    return this.handle.current.get(target.name)!;
  }

  unbind(word: string): boolean {
    const table = this.handle.current;
    const w = fold(word.trim());
    const holder = table.lookup(w);
    if (holder === undefined) return false;
    const o = this.#overrides;
    const binds = { ...o.binds };
    delete binds[w];
    const own = this.#moduleOf(holder.name)?.definition.binds ?? [holder.name];
    const declared = own.map(fold).includes(w);
    this.#apply({ ...o, binds, unbound: declared ? [...o.unbound, w] : o.unbound });
    return true;
  }

  setChannels(command: string, channels: readonly string[] | null | undefined): Command<C> {
    const target = this.#known(this.handle.current, command);
    if (
      channels != null &&
      (!Array.isArray(channels) || channels.some((c) => typeof c !== 'string' || c.trim() === ''))
    ) {
      throw new TypeError(
        `${this.name}: channels must be an array of channel names, null or undefined`,
      );
    }
    const o = this.#overrides;
    const limits = { ...o.channels };
    if (channels === undefined) delete limits[target.name];
    else limits[target.name] = channels === null ? null : [...channels];
    this.#apply({ ...o, channels: limits });
    return this.handle.current.get(target.name)!;
  }

  overrides(): CommandOverrides {
    return structuredClone(this.#overrides) as CommandOverrides;
  }

  failures(): CommandFailure[] {
    return [...this.#failures.values()];
  }

  status(): UnitStatus {
    const ready = this.handle.ready;
    const table = ready ? this.handle.current : undefined;
    const failures = this.failures();
    return {
      name: this.name,
      kind: this.kind,
      generation: this.handle.generation,
      state: ready ? 'active' : 'unloaded',
      ...(failures[0] ? { lastError: failures[0].error } : {}),
      details: {
        commands: table?.size ?? 0,
        binds: table?.binds().size ?? 0,
        failed: failures.map((f) => f.name),
        dirs: this.dirs,
        leases: this.handle.leases,
      },
    };
  }

  async close(): Promise<void> {
    this.#stopDiscovering();
    for (const file of this.#owned) this.#code.release(file, this.name);
    this.#owned.clear();
    await this.handle.close();
  }

  /** One listed module in this reload: its live version, its new one or why there is none. */
  #candidate(source: { name: string; file: string }): Candidate {
    const live = this.#live.get(source.file);
    const candidate: Candidate = { ...source, live, fresh: undefined, error: undefined };
    const failure = this.#code.stagedFailure(source.file);
    if (failure !== undefined) {
      candidate.error = failure;
      return candidate;
    }
    // A new version this reload; else, for a module never read or refused last time (a clash,
    // or a shape the loader took but the table did not), what the graph has now.
    const staged = this.#code.staged(source.file);
    const ns =
      staged ??
      (live === undefined || this.#failures.has(source.file)
        ? this.#code.loader.namespace(source.file)
        : undefined);
    if (ns === undefined || ns === live?.namespace) return candidate;
    const definition = definitionOf(ns);
    const problem = shapeProblem(definition);
    if (problem) {
      candidate.error = moduleError(
        'HS_ERR_COMMAND_SHAPE',
        this.name,
        source.name,
        source.file,
        problem,
      );
      return candidate;
    }
    candidate.fresh = {
      name: source.name,
      file: source.file,
      definition: definition as CommandDefinition,
      namespace: ns,
      version: this.#code.loader.generation(source.file) + (staged ? 1 : 0),
    };
    return candidate;
  }

  /** The serialised error of a failed module: its code and cause, the file:line in `location`. */
  #partError(err: unknown, name: string, file: string): SerializedError {
    const serialized = serializeError(err);
    // defineCommand threw while the module loaded: the module's own frame says where.
    serialized.location ??= frameIn(err, file) ?? { file, line: 1, column: 1 };
    // The part is named in the report: drop `defineCommand: ` or `<name>: ` in front.
    serialized.message = serialized.message.replace(/^defineCommand: /, '');
    if (serialized.message.startsWith(`${name}: `)) {
      serialized.message = serialized.message.slice(name.length + 2);
    }
    // The location is shown beside the message: drop the absolute `file:line:col: ` prefix.
    const at = serialized.location;
    serialized.message = serialized.message.replace(`${at.file}:${at.line}:${at.column}: `, '');
    return serialized;
  }

  #apply(overrides: CommandOverrides): void {
    const { table } = buildTable<C>(this.#live.values(), overrides, this.#reservedWords());
    this.#overrides = overrides;
    const previous = this.handle.swap(table);
    if (previous) void this.handle.retire(previous);
  }

  #known(table: CommandTable<C>, command: string): Command<C> {
    const target = table.get(command) ?? table.lookup(command);
    if (target) return target;
    const near = table.suggest(command);
    throw new HotswapError('HS_ERR_COMMAND_UNKNOWN', `${this.name}: no command ${command}`, {
      unit: this.name,
      ...(near.length > 0 ? { hint: `did you mean ${near.join(', ')}?` } : {}),
    });
  }

  #moduleOf(name: string): LoadedModule | undefined {
    return [...this.#live.values()].find((m) => fold(m.name) === fold(name));
  }

  #reservedWords(): Set<string> {
    return new Set([...this.#reserved()].map(fold));
  }

  #short(file: string): string {
    const rel = relative(this.#code.loader.root, file);
    return rel.startsWith('..') ? file : rel;
  }
}

/** Where in `file` the error was thrown, from its (source-mapped) stack. */
function frameIn(err: unknown, file: string): SourceLocation | undefined {
  const stack = err instanceof Error ? String(err.stack ?? '') : '';
  for (const line of stack.split('\n')) {
    const at = line.indexOf(`${file}:`);
    if (at === -1) continue;
    const match = /^:(\d+):(\d+)/.exec(line.slice(at + file.length));
    if (match) return { file, line: Number(match[1]), column: Number(match[2]) };
  }
  return undefined;
}

function checkWord(unit: string, word: string): string {
  const w = fold(String(word).trim());
  if (w === '' || /\s/.test(w)) {
    throw new HotswapError(
      'HS_ERR_COMMAND_SHAPE',
      `${unit}: a bind is one word, got ${JSON.stringify(word)}`,
      { unit },
    );
  }
  return w;
}

function normalise(given: Partial<CommandOverrides> | undefined): CommandOverrides {
  if (given === undefined) return emptyOverrides;
  const binds: Record<string, string> = {};
  for (const [word, name] of Object.entries(given.binds ?? {})) binds[fold(word)] = name;
  return {
    binds,
    unbound: (given.unbound ?? []).map(fold),
    channels: { ...(given.channels ?? {}) },
  };
}

function withoutCommands(o: CommandOverrides, names: readonly string[]): CommandOverrides {
  if (names.length === 0) return o;
  const gone = new Set(names.map(fold));
  const binds = Object.fromEntries(Object.entries(o.binds).filter(([, n]) => !gone.has(fold(n))));
  const channels = Object.fromEntries(
    Object.entries(o.channels).filter(([n]) => !gone.has(fold(n))),
  );
  return { ...o, binds, channels };
}

function summarise(parts: readonly PartResult[]): string {
  const counts = new Map<string, string[]>();
  for (const p of parts) counts.set(p.outcome, [...(counts.get(p.outcome) ?? []), p.name]);
  const text = [...counts].map(([outcome, names]) => `${outcome} ${names.join(', ')}`);
  return text.length > 0 ? text.join('; ') : 'loaded';
}

/**
 * Creates a command table over `code`. Prefer {@link commandTable}, which also adds the code unit.
 * @example
 * const code = runtime.add(createCodeUnit({ root: import.meta.dirname }));
 * const commands = runtime.add(createCommandTable<Ctx>(code, { dir: 'commands' }));
 * await runtime.reload();
 * await commands.handle.withLease((table) => table.lookup('hello')?.run(ctx));
 */
export function createCommandTable<C = unknown>(
  code: CodeUnit,
  options: CommandTableOptions,
): CommandTableUnit<C> {
  return new CommandTableImpl<C>(code, options);
}

/**
 * Registers a command table on a runtime (adding the code unit `code` when the runtime has none)
 * and returns it. Its modules load with the next reload.
 * @example
 * const commands = commandTable<Ctx>(runtime, { dir: 'commands', root: import.meta.dirname });
 * await runtime.reload();
 * commands.handle.current.lookup('hello');
 */
export function commandTable<C = unknown>(
  registry: UnitRegistry,
  options: CommandTableOptions & { code?: string; root?: string },
): CommandTableUnit<C> {
  const code = codeUnitIn(registry, options.code, options.root);
  return registry.add(createCommandTable<C>(code, options));
}
