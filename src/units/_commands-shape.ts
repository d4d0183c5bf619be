/**
 * What a command module must export, checked field by field: `run` (the handler), and optional
 * `binds`, `help`, `usage`, `channels`, `admin`, `meta`. A module exports them as one default
 * object (`export default defineCommand({...})`) or as named exports (`export const binds`,
 * `export function run`). Each module's definition is read from its own namespace only, so
 * nothing (help, binds) carries over from one module to another.
 */
import { readFileSync } from 'node:fs';
import { editDistance } from '../edit-distance.js';
import { HotswapError, type SourceLocation } from '../errors.js';

/** The keys of a command definition. */
export const definitionKeys: readonly string[] = [
  'binds',
  'help',
  'usage',
  'channels',
  'admin',
  'meta',
  'run',
];

/** What is wrong with a definition, and which key (to point at its line). */
export interface ShapeProblem {
  message: string;
  key?: string;
  hint?: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isWordList = (value: unknown): value is readonly string[] =>
  Array.isArray(value) && value.every((v) => typeof v === 'string');

/** The first problem of `value` as a command definition, or undefined when it is one. */
export function shapeProblem(value: unknown): ShapeProblem | undefined {
  if (!isRecord(value)) {
    return {
      message: `a command definition must be an object, got ${describe(value)}`,
      hint: 'export default defineCommand({ binds, help, run(ctx) { … } })',
    };
  }
  for (const key of Object.keys(value)) {
    if (definitionKeys.includes(key)) continue;
    const near = nearest(key, definitionKeys);
    return {
      message: `unknown key \`${key}\``,
      key,
      hint: near
        ? `did you mean \`${near}\`? (extra data goes in \`meta\`)`
        : 'extra data goes in `meta`',
    };
  }
  if (typeof value.run !== 'function') {
    return {
      message:
        value.run === undefined
          ? 'no handler: `run` is missing'
          : `\`run\` must be a function, got ${describe(value.run)}`,
      ...(value.run === undefined ? {} : { key: 'run' }),
      hint: 'add run(ctx) { … }',
    };
  }
  if (value.binds !== undefined) {
    if (!isWordList(value.binds)) {
      return { message: '`binds` must be an array of words', key: 'binds' };
    }
    const bad = value.binds.find((w) => w.trim() === '' || /\s/.test(w));
    if (bad !== undefined) {
      return { message: `bind ${JSON.stringify(bad)} is empty or has spaces`, key: 'binds' };
    }
  }
  for (const key of ['help', 'usage'] as const) {
    if (value[key] !== undefined && typeof value[key] !== 'string') {
      return { message: `\`${key}\` must be a string, got ${describe(value[key])}`, key };
    }
  }
  if (value.channels !== undefined) {
    if (!isWordList(value.channels) || value.channels.some((c) => c.trim() === '')) {
      return { message: '`channels` must be an array of channel names', key: 'channels' };
    }
  }
  if (value.admin !== undefined && typeof value.admin !== 'boolean') {
    return {
      message: `\`admin\` must be true or false, got ${describe(value.admin)}`,
      key: 'admin',
    };
  }
  if (value.meta !== undefined && !isRecord(value.meta)) {
    return { message: '`meta` must be an object', key: 'meta' };
  }
  return undefined;
}

/**
 * Reads a command definition from a module namespace: its default export when that is an object,
 * else its named exports (a default function is the handler). Never merges anything into it.
 */
export function definitionOf(ns: Record<string, unknown>): unknown {
  const main = ns.default;
  if (isRecord(main)) return main;
  const named: Record<string, unknown> = {};
  for (const key of definitionKeys) if (ns[key] !== undefined) named[key] = ns[key];
  if (typeof main === 'function' && named.run === undefined) named.run = main;
  if (main !== undefined && typeof main !== 'function') return main;
  return named;
}

/**
 * An error about one command module (`HS_ERR_COMMAND_SHAPE`, `HS_ERR_COMMAND_CONFLICT`), located
 * at the offending key's line (or the default export), read from the module's source on disk.
 */
export function moduleError(
  code: 'HS_ERR_COMMAND_SHAPE' | 'HS_ERR_COMMAND_CONFLICT',
  unit: string,
  name: string,
  file: string,
  problem: ShapeProblem,
): HotswapError {
  return new HotswapError(code, `${name}: ${problem.message}`, {
    unit,
    location: locate(file, problem.key),
    ...(problem.hint ? { hint: problem.hint } : {}),
  });
}

function locate(file: string, key: string | undefined): SourceLocation {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return { file, line: 1, column: 1 };
  }
  const patterns = [
    ...(key ? [new RegExp(`\\b${key}\\s*[:(=]`), new RegExp(`\\b${key}\\b`)] : []),
    /export\s+default\b/,
    /\bexport\b/,
  ];
  const lines = source.split('\n');
  for (const pattern of patterns) {
    for (let i = 0; i < lines.length; i++) {
      const match = pattern.exec(lines[i] ?? '');
      if (match) return { file, line: i + 1, column: match.index + 1 };
    }
  }
  return { file, line: 1, column: 1 };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value).slice(0, 20)}`;
}

/** The candidate closest to `word` (edit distance at most 2), if any. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
