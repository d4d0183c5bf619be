/**
 * Key paths: the one way config keys are named in overrides, diffs, issues, subscriptions,
 * restart-required and secret lists. `llm.model`, `irc.channels.0`, and `hosts["a.b"]` for a
 * key that itself contains a dot.
 */
import { HotswapError } from '../../errors.js';
import { isPlainObject, unsafeKeys } from './_values.js';

/** A key path split into its keys, e.g. `['llm', 'model']`. */
export type KeySegments = readonly string[];

const plainSegment = /^[A-Za-z0-9_$-]+$/;

/**
 * Formats segments as a key path: plain keys joined by dots, any other key in `["…"]`.
 * @example
 * formatKeyPath(['hosts', 'a.b', 'port']); // 'hosts["a.b"].port'
 */
export function formatKeyPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const raw of segments) {
    const s = String(raw);
    if (plainSegment.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/**
 * Parses a key path written by a person (override keys, patterns). Throws
 * `HS_ERR_CONFIG_OVERRIDE` on an empty segment, an unclosed bracket or a prototype key.
 * @example
 * parseKeyPath('hosts["a.b"].port'); // ['hosts', 'a.b', 'port']
 */
export function parseKeyPath(path: string): string[] {
  const segments: string[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new HotswapError('HS_ERR_CONFIG_OVERRIDE', `malformed key path "${path}": ${why}`, {
      hint: 'write keys as a.b.c, and a key that contains a dot as a["b.c"]',
    });
  };
  if (path.trim() === '') fail('it is empty');
  while (i < path.length) {
    if (path[i] === '[') {
      const end = path.indexOf('"]', i + 2);
      if (path[i + 1] !== '"' || end < 0) fail(`unclosed [" at column ${i + 1}`);
      try {
        segments.push(JSON.parse(path.slice(i + 1, end + 1)) as string);
      } catch {
        fail(`bad quoted key at column ${i + 1}`);
      }
      i = end + 2;
      if (i < path.length && path[i] === '.') i++;
      continue;
    }
    let j = i;
    while (j < path.length && path[j] !== '.' && path[j] !== '[') j++;
    const seg = path.slice(i, j).trim();
    if (seg === '') fail(`empty key at column ${i + 1}`);
    segments.push(seg);
    i = path[j] === '.' ? j + 1 : j;
    if (path[j] === '.' && i === path.length) fail('it ends with a dot');
  }
  for (const s of segments) if (unsafeKeys.has(s)) fail(`"${s}" is not allowed as a key`);
  return segments;
}

/** The value at `segments` inside `root`, or undefined. Walks objects and arrays. */
export function getPath(root: unknown, segments: KeySegments): unknown {
  let cur: unknown = root;
  for (const s of segments) {
    if (Array.isArray(cur)) cur = cur[Number(s)];
    else if (isPlainObject(cur) && Object.hasOwn(cur, s)) cur = cur[s];
    else return undefined;
  }
  return cur;
}

/** True when `root` has a value (possibly `undefined`) at `segments`. */
export function hasPath(root: unknown, segments: KeySegments): boolean {
  let cur: unknown = root;
  for (const s of segments) {
    if (Array.isArray(cur) && /^\d+$/.test(s) && Number(s) < cur.length) cur = cur[Number(s)];
    else if (isPlainObject(cur) && Object.hasOwn(cur, s)) cur = cur[s];
    else return false;
  }
  return true;
}

/**
 * Sets `value` at `segments` in a mutable copy-tree `root`, creating objects on the way and
 * replacing any non-object in the way. Numeric keys index into an existing array.
 */
export function setPath(
  root: Record<string, unknown>,
  segments: KeySegments,
  value: unknown,
): void {
  let cur: Record<string, unknown> | unknown[] = root;
  segments.forEach((key, i) => {
    const last = i === segments.length - 1;
    const container = cur as Record<string, unknown>;
    // A numeric key indexes into an existing array; any other key names an object member.
    const slot: string | number = Array.isArray(cur) && /^\d+$/.test(key) ? Number(key) : key;
    if (last) {
      container[slot] = value;
      return;
    }
    const next = container[slot];
    if (Array.isArray(next) || isPlainObject(next)) cur = next;
    else {
      const created: Record<string, unknown> = {};
      container[slot] = created;
      cur = created;
    }
  });
}

/** Removes the value at `segments` (objects only; an array element becomes `undefined`). */
export function deletePath(root: Record<string, unknown>, segments: KeySegments): void {
  const parent = getPath(root, segments.slice(0, -1));
  const key = segments[segments.length - 1];
  if (key === undefined) return;
  if (Array.isArray(parent)) parent[Number(key)] = undefined;
  else if (isPlainObject(parent)) delete parent[key];
}

/** A compiled key-path glob: `*` is one key (or part of one), `**` any number of keys. */
export interface KeyPattern {
  /** The pattern as written. */
  readonly source: string;
  /** True when the pattern names `path` or one of its ancestors (`llm` covers `llm.model`). */
  covers(path: KeySegments): boolean;
  /** True when `covers(path)`, or when `path` is an ancestor of something the pattern names. */
  overlaps(path: KeySegments): boolean;
}

/**
 * Compiles a key-path glob. Throws a `TypeError` when the pattern is malformed.
 * @example
 * compileKeyPattern('llm.*').covers(['llm', 'model']); // true
 * compileKeyPattern('**.apiKey').covers(['a', 'b', 'apiKey']); // true
 */
export function compileKeyPattern(pattern: string): KeyPattern {
  let segments: string[];
  try {
    segments = parseKeyPath(pattern);
  } catch (err) {
    // A bad pattern is a programming error in the options, not a bad override.
    throw new TypeError((err as Error).message);
  }
  const parts = segments.map(segmentMatcher);
  const match = (path: KeySegments, i: number, j: number, overlap: boolean): boolean => {
    if (i === parts.length) return true;
    if (j === path.length) return overlap || parts.slice(i).every((p) => p === 'globstar');
    const part = parts[i]!;
    if (part === 'globstar')
      return match(path, i + 1, j, overlap) || match(path, i, j + 1, overlap);
    return part(path[j]!) && match(path, i + 1, j + 1, overlap);
  };
  return {
    source: pattern,
    covers: (path) => match(path, 0, 0, false),
    overlaps: (path) => match(path, 0, 0, true),
  };
}

function segmentMatcher(segment: string): 'globstar' | ((key: string) => boolean) {
  if (segment === '**') return 'globstar';
  if (!segment.includes('*')) return (key) => key === segment;
  const re = new RegExp(`^${segment.split('*').map(escapeRegExp).join('.*')}$`);
  return (key) => re.test(key);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
