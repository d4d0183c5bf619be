/**
 * Environment variables as a config layer. The mapping, for prefix `APP_`:
 *
 * - only variables that start with the prefix are read, and the prefix is removed;
 * - a double underscore `__` separates keys: `APP_LLM__MODEL` → `llm.model`;
 * - each key is matched, ignoring case, `_` and `-`, against the keys that exist at that level
 *   in the files or in the schema: `APP_LLM__API_KEY` → `llm.apiKey` when the file has
 *   `apiKey`, `llm.api_key` when it has `api_key`; a key found nowhere is written in
 *   camelCase (`API_KEY` → `apiKey`);
 * - values are strings typed by the schema like overrides (`"0.9"` becomes `0.9` when the
 *   schema wants a number);
 * - shallower variables are applied first, so `APP_LLM__MODEL` wins over a `model` inside a
 *   JSON value of `APP_LLM`.
 *
 * The same mapping applies to the variables of a `.env` config file, where the prefix is
 * removed when present.
 */
import { isPlainObject } from './_values.js';
import type { KeyTree } from './schema-info.js';

/** One variable mapped to a key path. */
export interface EnvEntry {
  /** The variable name, e.g. `APP_LLM__MODEL`. */
  name: string;
  /** The key path it sets, e.g. `['llm', 'model']`. */
  keys: string[];
  /** The raw string value. */
  raw: string;
}

/** Options of {@link mapEnv}. */
export interface MapEnvOptions {
  /** Only names starting with it are read (and it is removed). */
  prefix: string;
  /** Variables without the prefix are kept whole instead of skipped (`.env` files). */
  keepUnprefixed?: boolean;
  /** Merged file data: its keys decide the spelling of each key. */
  data?: unknown;
  /** Keys declared by the schema. */
  schemaKeys?: KeyTree;
}

/**
 * Maps variables to key paths, shallowest first then by name. Called in prepare.
 * @example
 * mapEnv({ APP_LLM__MODEL: 'gpt' }, { prefix: 'APP_' }); // [{ name: 'APP_LLM__MODEL', keys: ['llm', 'model'], raw: 'gpt' }]
 */
export function mapEnv(
  vars: Readonly<Record<string, string | undefined>>,
  options: MapEnvOptions,
): EnvEntry[] {
  const entries: EnvEntry[] = [];
  for (const [name, raw] of Object.entries(vars)) {
    if (raw === undefined) continue;
    let rest: string;
    if (options.prefix !== '' && name.startsWith(options.prefix))
      rest = name.slice(options.prefix.length);
    else if (options.prefix === '' || options.keepUnprefixed) rest = name;
    else continue;
    const parts = rest.split('__');
    if (parts.some((p) => p === '')) continue;
    entries.push({ name, keys: spell(parts, options.data, options.schemaKeys), raw });
  }
  return entries.sort((a, b) => a.keys.length - b.keys.length || a.name.localeCompare(b.name));
}

function spell(parts: string[], data: unknown, schemaKeys: KeyTree | undefined): string[] {
  const keys: string[] = [];
  let node = data;
  let schema = schemaKeys;
  for (const part of parts) {
    const candidates = [
      ...(isPlainObject(node) ? Object.keys(node) : []),
      ...Object.keys(schema ?? {}),
    ];
    const wanted = loose(part);
    const key = candidates.find((k) => loose(k) === wanted) ?? camelCase(part);
    keys.push(key);
    node = isPlainObject(node) ? node[key] : undefined;
    schema = schema?.[key];
  }
  return keys;
}

function loose(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

function camelCase(part: string): string {
  return part.toLowerCase().replace(/_+([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}
