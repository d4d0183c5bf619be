/**
 * Overrides: values set from the API or the CLI in dot notation (`llm.temperature=0.9`). They
 * are applied after every file and environment variable, kept across reloads, and belong to
 * each committed version (a rollback restores the overrides of the version it returns to).
 *
 * A string value is typed by the schema: the raw string is tried first, then its JSON value
 * (`"0.9"` → `0.9`, `"true"` → `true`, `'["a","b"]'` → an array); the first that validates
 * wins. Without a schema a string stays a string; pass a typed value to get another type.
 */
import { HotswapError } from '../../errors.js';
import { formatKeyPath, parseKeyPath } from './key-path.js';
import { type TextValue, type TreeBuilder, textValue } from './merge.js';

/** The overrides of one version: normalised key path → value as given. */
export type OverrideSet = ReadonlyMap<string, unknown>;

/**
 * Parses `key=value` as written on a command line. Throws `HS_ERR_CONFIG_OVERRIDE` when there
 * is no `=` or the key is malformed.
 * @example
 * parseOverrideArg('llm.temperature=0.9'); // { key: 'llm.temperature', value: '0.9' }
 */
export function parseOverrideArg(arg: string): { key: string; value: string } {
  const eq = arg.indexOf('=');
  if (eq <= 0) {
    throw new HotswapError('HS_ERR_CONFIG_OVERRIDE', `override "${arg}" is not key=value`, {
      hint: 'write overrides as a.b.c=value, e.g. llm.temperature=0.9',
    });
  }
  const key = normaliseOverrideKey(arg.slice(0, eq));
  return { key, value: arg.slice(eq + 1) };
}

/** Checks and normalises an override key (`hosts["a.b"]`, `llm.model`). Throws `HS_ERR_CONFIG_OVERRIDE`. */
export function normaliseOverrideKey(key: string): string {
  return formatKeyPath(parseKeyPath(key));
}

/**
 * Builds an override set from a record, checking each key.
 * @example
 * overrideSet({ 'llm.temperature': '0.9' });
 */
export function overrideSet(record: Readonly<Record<string, unknown>> = {}): Map<string, unknown> {
  const set = new Map<string, unknown>();
  for (const [key, value] of Object.entries(record)) set.set(normaliseOverrideKey(key), value);
  return set;
}

/**
 * Applies overrides on top of a tree, in the order they were set. Strings become
 * {@link TextValue}s typed later by the schema. Called in prepare.
 */
export function applyOverrides(builder: TreeBuilder, overrides: OverrideSet): void {
  for (const [key, value] of overrides) {
    const origin = { kind: 'override', key } as const;
    const v: unknown | TextValue = typeof value === 'string' ? textValue(value, origin) : value;
    builder.set(parseKeyPath(key), v, origin);
  }
}

/** A plain record of an override set (for `config.overrides` and snapshot listings). */
export function overrideRecord(overrides: OverrideSet): Record<string, unknown> {
  return Object.fromEntries(overrides);
}
