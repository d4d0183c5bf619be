/**
 * Secret redaction. A key is secret when an option names it (`secrets: ['llm.apiKey']`, globs
 * allowed), when the schema marks it (see `schema-info.ts`), or when its name looks like one
 * (see {@link defaultSecretPattern}). Secret values are replaced by {@link REDACTED} in every
 * report, log line, snapshot listing, diff, error message and code frame hotswap shows to a
 * person. Listeners and `config.current` still get the real values: code needs them.
 */
import { isPlainObject } from './_values.js';
import { compileKeyPattern, type KeyPattern, type KeySegments } from './key-path.js';

/**
 * What a redacted value is replaced with.
 * @example
 * config.redacted(); // { llm: { model: 'gpt-4', apiKey: '[redacted]' } }
 */
export const REDACTED = '[redacted]';

/**
 * The default secret-name pattern. It is tested against each key written in snake case
 * (`authToken` → `auth_token`, `API-KEY` → `api_key`), so it matches `password`, `dbPass`,
 * `clientSecret`, `secrets`, `authToken`, `apiKey`, `privateKey`, `accessKey`, `credentials`,
 * but not `maxTokens`, `tokenLimit`, `passenger` or `compass`.
 * @example
 * // Also treat `*_dsn` keys as secret:
 * createConfig({ files: ['config.yaml'], secretPattern: new RegExp(`${defaultSecretPattern.source}|(^|_)dsn$`) });
 */
export const defaultSecretPattern: RegExp =
  /(^|_)(pass(word|wd|phrase)?|secrets?|token|api_?key|private_?key|access_?key|credentials?)$/;

/** Writes a key in snake case for {@link defaultSecretPattern}: `apiKey` → `api_key`. */
export function snakeKey(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-\s.]+/g, '_')
    .toLowerCase();
}

/** Decides which key paths are secret, and redacts values and text. */
export interface SecretPolicy {
  /** True when the key at `path`, or one of its ancestors, is secret. */
  isSecret(path: KeySegments): boolean;
  /** A copy of `value` (found at `path`) with every secret inside replaced by {@link REDACTED}. */
  redact(value: unknown, path?: KeySegments): unknown;
  /** The secret strings inside `root` (for {@link redactText}). */
  valuesIn(root: unknown): string[];
  /**
   * Masks one line of a config file for a code frame: the value of a secret-looking key, and
   * any of `known` secret strings, are replaced.
   */
  maskLine(line: string, known: readonly string[]): string;
}

/** Options of {@link createSecretPolicy}. */
export interface SecretPolicyOptions {
  /** Key paths or globs that are secret. */
  paths?: readonly string[];
  /** Key-name pattern (tested on the snake-case key); `false` turns name matching off. */
  pattern?: RegExp | false;
}

/**
 * Builds the secret policy of one config. Called once, when the config is created.
 * @example
 * const policy = createSecretPolicy({ paths: ['llm.key'] });
 * policy.redact({ llm: { key: 'sk-1', model: 'm' } }); // { llm: { key: '[redacted]', model: 'm' } }
 */
export function createSecretPolicy(options: SecretPolicyOptions = {}): SecretPolicy {
  const patterns: KeyPattern[] = (options.paths ?? []).map(compileKeyPattern);
  const namePattern = options.pattern === undefined ? defaultSecretPattern : options.pattern;
  // Frames show one line at a time, so a line is masked by its key name alone: a name matching
  // the pattern, or the last key of a path named in `paths`.
  const secretNames = new Set(
    (options.paths ?? []).map((p) => p.split('.').pop() ?? '').filter((n) => n && !n.includes('*')),
  );
  const nameIsSecret = (key: string): boolean =>
    secretNames.has(key) || (namePattern !== false && namePattern.test(snakeKey(key)));

  const isSecret = (path: KeySegments): boolean =>
    path.some((k) => namePattern !== false && namePattern.test(snakeKey(k))) ||
    patterns.some((p) => p.covers(path));

  const redact = (value: unknown, path: KeySegments = []): unknown => {
    if (value === undefined) return undefined;
    if (isSecret(path)) return REDACTED;
    if (Array.isArray(value)) return value.map((v, i) => redact(v, [...path, String(i)]));
    if (isPlainObject(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = redact(v, [...path, k]);
      return out;
    }
    return value;
  };

  const valuesIn = (root: unknown): string[] => {
    const found = new Set<string>();
    const walk = (value: unknown, path: string[], secret: boolean): void => {
      const here = secret || isSecret(path);
      if (Array.isArray(value)) {
        for (const [i, v] of value.entries()) walk(v, [...path, String(i)], here);
      } else if (isPlainObject(value))
        for (const [k, v] of Object.entries(value)) walk(v, [...path, k], here);
      else if (here && (typeof value === 'string' || typeof value === 'number')) {
        const text = String(value);
        // Very short values would mangle unrelated text; structured output still hides them.
        if (text.length >= 3) found.add(text);
      }
    };
    walk(root, [], false);
    // Longest first, so a secret that contains another is replaced whole.
    return [...found].sort((a, b) => b.length - a.length);
  };

  const maskLine = (line: string, known: readonly string[]): string => {
    const m = /^(\s*(?:-\s+)?(?:export\s+)?["']?)([^"'\s:=]+)(["']?\s*[:=]\s*)(\S.*)$/.exec(line);
    const masked = m && nameIsSecret(m[2] ?? '') ? `${m[1]}${m[2]}${m[3]}${REDACTED}` : line;
    return redactText(masked, known);
  };

  return { isSecret, redact, valuesIn, maskLine };
}

/**
 * Replaces every occurrence of the `known` secret strings in `text`.
 * @example
 * redactText('token sk-123 rejected', ['sk-123']); // 'token [redacted] rejected'
 */
export function redactText(text: string, known: readonly string[]): string {
  let out = text;
  for (const secret of known) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}
