/**
 * One version of a command table (what `handle.current` is), built from the loaded command
 * modules and the runtime overrides; and the conflict rules a reload applies before building it:
 * a module whose new version clashes with another (a name that differs only by case, a bind
 * someone else holds) is refused and keeps its last good version.
 */

import { moduleError, nearest } from './_commands-shape.js';
import type { Command, CommandDefinition, CommandOverrides, CommandTable } from './commands.js';

/** A command module whose definition was read and checked. */
export interface LoadedModule {
  readonly name: string;
  readonly file: string;
  readonly definition: CommandDefinition;
  /** The module namespace it was read from. */
  readonly namespace: object;
  /** Generation of the module file in the loader when it was read. */
  readonly version: number;
}

/** One listed module during a reload: its live version, its new one, why the new one was refused. */
export interface Candidate {
  readonly name: string;
  readonly file: string;
  /** The version in the live table. */
  readonly live: LoadedModule | undefined;
  /** A new version read in this reload (cleared when refused). */
  fresh: LoadedModule | undefined;
  /** Why the new version (or the first one) was refused. */
  error: unknown;
}

/** Lower-cased word or name: binds and names are matched without case. */
export const fold = (word: string): string => word.toLowerCase();

/** The words a module answers to under `overrides` (its own binds less the unbound ones, plus runtime binds). */
export function effectiveBinds(module: LoadedModule, overrides: CommandOverrides): string[] {
  const own = (module.definition.binds ?? [module.name]).map(fold);
  const unbound = new Set(overrides.unbound);
  const words = own.filter((w) => !unbound.has(w));
  for (const [word, target] of Object.entries(overrides.binds)) {
    if (fold(target) === fold(module.name) && !words.includes(word)) words.push(word);
  }
  return words;
}

/**
 * Refuses new versions that clash, until none does: names equal but for case (the one already
 * live keeps its place; when none is, all of them are refused), then binds claimed twice (a word
 * reserved, bound at runtime or held by a kept version wins over a new version). A refused new
 * version falls back to its live one, whose binds are then claims too.
 */
export function resolveConflicts(
  unit: string,
  candidates: readonly Candidate[],
  overrides: CommandOverrides,
  reserved: ReadonlySet<string>,
  short: (file: string) => string,
): void {
  const byName = new Map<string, Candidate[]>();
  for (const c of candidates) byName.set(fold(c.name), [...(byName.get(fold(c.name)) ?? []), c]);
  for (const group of byName.values()) {
    if (group.length < 2) continue;
    const keeper = group.find((c) => c.live !== undefined);
    for (const c of group) {
      if (c === keeper) continue;
      const others = group.filter((o) => o !== c).map((o) => `${o.name} (${short(o.file)})`);
      c.error = moduleError('HS_ERR_COMMAND_CONFLICT', unit, c.name, c.file, {
        message: `clashes with ${others.join(', ')}: command names must differ by more than case`,
        hint: 'rename or remove one of them',
      });
      c.fresh = undefined;
    }
  }
  // A refused first version leaves nothing; a refused new version leaves the live one.
  const present = (c: Candidate): LoadedModule | undefined => c.fresh ?? c.live;
  for (;;) {
    const claims = new Map<string, { by: string; fresh: Candidate | undefined }[]>();
    const claim = (word: string, by: string, fresh: Candidate | undefined): void => {
      const list = claims.get(word) ?? [];
      if (!list.some((l) => l.by === by)) list.push({ by, fresh });
      claims.set(word, list);
    };
    for (const word of reserved) claim(word, '(reserved)', undefined);
    const names = new Set(candidates.filter((c) => present(c)).map((c) => fold(c.name)));
    for (const [word, target] of Object.entries(overrides.binds)) {
      if (names.has(fold(target))) claim(word, fold(target), undefined);
    }
    for (const c of candidates) {
      const module = present(c);
      if (module === undefined) continue;
      const noOverride = { binds: {}, unbound: overrides.unbound, channels: {} };
      for (const word of effectiveBinds(module, noOverride)) {
        claim(word, fold(c.name), c.fresh === undefined ? undefined : c);
      }
    }
    const losers = new Map<Candidate, string>();
    for (const [word, list] of claims) {
      if (list.length < 2) continue;
      for (const entry of list) {
        if (entry.fresh === undefined || losers.has(entry.fresh)) continue;
        const others = list
          .filter((o) => o.by !== entry.by)
          .map((o) => describeClaim(o.by, word, overrides, candidates, short));
        losers.set(entry.fresh, `bind \`${word}\` is already taken by ${others.join(', ')}`);
      }
    }
    if (losers.size === 0) return;
    for (const [loser, message] of losers) {
      loser.error = moduleError('HS_ERR_COMMAND_CONFLICT', unit, loser.name, loser.file, {
        message,
        key: 'binds',
        hint: 'each bind belongs to one command: pick another word, or unbind it first',
      });
      loser.fresh = undefined;
    }
  }
}

function describeClaim(
  by: string,
  word: string,
  overrides: CommandOverrides,
  candidates: readonly Candidate[],
  short: (file: string) => string,
): string {
  if (by === '(reserved)') return 'a reserved word';
  const c = candidates.find((x) => fold(x.name) === by);
  if (overrides.binds[word] !== undefined && fold(overrides.binds[word]) === by) {
    return `${c?.name ?? by} (bound at runtime)`;
  }
  return c ? `${c.name} (${short(c.file)})` : by;
}

/** Builds a table version. A word two modules still claim (never after `resolveConflicts`) goes to the first by name. */
export function buildTable<C>(
  modules: Iterable<LoadedModule>,
  overrides: CommandOverrides,
  reserved: ReadonlySet<string>,
): { table: CommandTable<C>; dropped: { word: string; name: string }[] } {
  const commands = new Map<string, Command<C>>();
  const binds = new Map<string, Command<C>>();
  const dropped: { word: string; name: string }[] = [];
  const sorted = [...modules].sort((a, b) => a.name.localeCompare(b.name));
  for (const module of sorted) {
    const words = effectiveBinds(module, overrides).filter((word) => {
      if (!binds.has(word) && !reserved.has(word)) return true;
      dropped.push({ word, name: module.name });
      return false;
    });
    const limit = overrides.channels[module.name];
    const channels = limit === undefined ? module.definition.channels : (limit ?? undefined);
    const command = makeCommand<C>(module, words, channels);
    commands.set(fold(module.name), command);
    for (const word of words) binds.set(word, command);
  }
  return { table: new Table<C>(commands, binds), dropped };
}

function makeCommand<C>(
  module: LoadedModule,
  binds: readonly string[],
  channels: readonly string[] | undefined,
): Command<C> {
  const definition = module.definition;
  const limits = channels === undefined ? undefined : new Set(channels.map(fold));
  const command: Command<C> = {
    name: module.name,
    file: module.file,
    binds: Object.freeze([...binds]),
    help: definition.help,
    usage: definition.usage,
    channels: channels === undefined ? undefined : Object.freeze([...channels]),
    admin: definition.admin ?? false,
    meta: Object.freeze({ ...(definition.meta ?? {}) }),
    version: module.version,
    // Async, so a handler that throws at once rejects like one that fails later.
    run: async (ctx: C) => definition.run(ctx),
    allows: (channel) =>
      limits === undefined || (channel !== undefined && limits.has(fold(channel))),
  };
  return Object.freeze(command);
}

class Table<C> implements CommandTable<C> {
  readonly #commands: ReadonlyMap<string, Command<C>>;
  readonly #binds: ReadonlyMap<string, Command<C>>;

  constructor(commands: ReadonlyMap<string, Command<C>>, binds: ReadonlyMap<string, Command<C>>) {
    this.#commands = commands;
    this.#binds = binds;
  }

  get size(): number {
    return this.#commands.size;
  }

  lookup(word: string): Command<C> | undefined {
    return this.#binds.get(fold(word));
  }

  get(name: string): Command<C> | undefined {
    return this.#commands.get(fold(name));
  }

  list(): Command<C>[] {
    return [...this.#commands.values()];
  }

  binds(): Map<string, string> {
    return new Map([...this.#binds].map(([word, command]) => [word, command.name]));
  }

  suggest(word: string): string[] {
    const near = nearest(fold(word), [...this.#binds.keys()]);
    return near === undefined ? [] : [near];
  }
}
