/**
 * Merging layers into one tree: objects merge key by key, deeply; arrays, scalars and `null`
 * replace what was there. Each key remembers the layer that wrote it last (its origin), so a
 * validation issue can point at the file and line that set the bad value.
 *
 * Strings whose type the schema decides (environment variables, `.env` files, overrides) enter
 * the tree as {@link TextValue}s and become plain values in `validate.ts`.
 */
import { clonePlain, isPlainObject, unsafeKeys } from './_values.js';
import { formatKeyPath, type KeySegments, setPath } from './key-path.js';
import type { ParsedFile } from './parse.js';

/** Where a key's value came from. */
export type Origin =
  | { readonly kind: 'file'; readonly parsed: ParsedFile; readonly varName?: string }
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'override'; readonly key: string };

const kText = Symbol.for('hotswap.config.text');

/**
 * A string written by a person whose type the schema decides. `candidates` are tried in order
 * (the raw string, then its JSON value when it is valid JSON); the first that validates wins.
 * A class instance, not a plain object, so merging, copying and diffing treat it as a leaf.
 */
export class TextValue {
  readonly [kText] = true;
  readonly raw: string;
  readonly candidates: readonly unknown[];
  readonly origin: Origin;

  constructor(raw: string, origin: Origin) {
    this.raw = raw;
    this.origin = origin;
    const candidates: unknown[] = [raw];
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed !== raw) candidates.push(parsed);
    } catch {
      // Not JSON: the raw string is the only reading.
    }
    this.candidates = candidates;
  }
}

/**
 * Wraps a raw string as a {@link TextValue}.
 * @example
 * textValue('0.9', origin).candidates; // ['0.9', 0.9]
 */
export function textValue(raw: string, origin: Origin): TextValue {
  return new TextValue(raw, origin);
}

/** True for a {@link TextValue}. */
export function isTextValue(value: unknown): value is TextValue {
  return (
    typeof value === 'object' && value !== null && (value as { [kText]?: unknown })[kText] === true
  );
}

/** The tree with each {@link TextValue} shown as its raw string (to find secret strings). */
export function rawView(value: unknown): unknown {
  if (isTextValue(value)) return value.raw;
  if (Array.isArray(value)) return value.map(rawView);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = rawView(v);
    return out;
  }
  return value;
}

/** A merged tree and the origin of each key path in it. */
export interface MergedTree {
  /** Plain objects, arrays, scalars and {@link TextValue} leaves. */
  readonly data: Record<string, unknown>;
  /** Origin of each key path (formatted), for the last layer that wrote it. */
  readonly origins: ReadonlyMap<string, Origin>;
}

/** Accumulates layers in order. Called in prepare (and in rollback, over a snapshot's base). */
export class TreeBuilder {
  readonly data: Record<string, unknown>;
  readonly origins: Map<string, Origin>;

  constructor(from?: MergedTree) {
    this.data = from ? clonePlain(from.data) : {};
    this.origins = new Map(from?.origins);
  }

  /** Deep-merges a parsed structured file. */
  mergeTree(source: Record<string, unknown>, origin: Origin): void {
    mergeInto(this.data, source, [], origin, this.origins);
  }

  /** Sets one value (a {@link TextValue}, or a typed value from the API) at a key path. */
  set(keys: KeySegments, value: unknown, origin: Origin): void {
    setPath(this.data, keys, isTextValue(value) ? value : clonePlain(value));
    this.origins.set(formatKeyPath(keys), origin);
  }

  /** The tree so far. */
  build(): MergedTree {
    return { data: this.data, origins: this.origins };
  }
}

function mergeInto(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
  path: string[],
  origin: Origin,
  origins: Map<string, Origin>,
): void {
  for (const [key, value] of Object.entries(source)) {
    // A config file is data: a "__proto__" key must not reach Object.prototype.
    if (unsafeKeys.has(key)) continue;
    const keys = [...path, key];
    origins.set(formatKeyPath(keys), origin);
    const existing = target[key];
    if (isPlainObject(value) && isPlainObject(existing)) {
      mergeInto(existing, value, keys, origin, origins);
    } else {
      target[key] = clonePlain(value);
      recordOrigins(value, keys, origin, origins);
    }
  }
}

function recordOrigins(
  value: unknown,
  path: string[],
  origin: Origin,
  origins: Map<string, Origin>,
) {
  const children = Array.isArray(value)
    ? value.map((v, i) => [String(i), v] as const)
    : isPlainObject(value)
      ? Object.entries(value)
      : [];
  for (const [key, child] of children) {
    const keys = [...path, key];
    origins.set(formatKeyPath(keys), origin);
    recordOrigins(child, keys, origin, origins);
  }
}
