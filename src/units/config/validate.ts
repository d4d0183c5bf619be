/**
 * Validation with any Standard Schema library (zod, valibot, arktype ...). Every issue is
 * reported at once, each with its key path, the layer that set the value (file:line:column
 * where the parser knows it, or the environment variable or override) and a masked code frame.
 *
 * Strings typed by the schema ({@link TextValue}s) are resolved here: each starts as its raw
 * string; when an issue touches its key, the next reading (its JSON value) is tried.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import {
  HotswapError,
  type HotswapErrorCode,
  type SerializedError,
  type SourceLocation,
} from '../../errors.js';
import { isPlainObject } from './_values.js';
import { codeFrame } from './frame.js';
import { formatKeyPath, getPath, type KeySegments } from './key-path.js';
import { isTextValue, type MergedTree, type Origin, type TextValue } from './merge.js';
import { redactText, type SecretPolicy } from './secrets.js';

/** One problem with a configuration. */
export interface ConfigIssue {
  /** Key path of the bad value; `''` for the configuration as a whole. */
  path: string;
  /** What is wrong, from the schema library (secret values redacted). */
  message: string;
  /** Where the value came from: `config.yaml:3:5`, `env APP_LLM__MODEL`, `override llm.model`. */
  source?: string;
  /** File position, when the value came from a file whose parser keeps positions. */
  location?: SourceLocation;
  /** Lines around {@link location}, secrets masked. */
  frame?: string;
}

/** A `HS_ERR_CONFIG_INVALID` or `HS_ERR_CONFIG_OVERRIDE` error with every issue. */
export interface ConfigIssuesError extends HotswapError {
  /** Every issue found, in schema order. */
  readonly issues: readonly ConfigIssue[];
}

class IssuesError extends HotswapError implements ConfigIssuesError {
  readonly issues: readonly ConfigIssue[];
  constructor(
    code: HotswapErrorCode,
    message: string,
    issues: ConfigIssue[],
    unit: string,
    hint: string,
  ) {
    const first = issues.find((i) => i.location);
    super(code, message, { unit, location: first?.location, frame: first?.frame, hint });
    this.issues = issues;
  }
  override toJSON(): SerializedError & { issues: readonly ConfigIssue[] } {
    return { ...super.toJSON(), issues: this.issues };
  }
}

/**
 * The issues of a config error, or an empty list for any other error.
 * @example
 * catch (err) { for (const i of configIssues(err)) console.error(i.path, i.message, i.source); }
 */
export function configIssues(err: unknown): readonly ConfigIssue[] {
  const issues = (err as { issues?: unknown } | null)?.issues;
  return Array.isArray(issues) ? (issues as ConfigIssue[]) : [];
}

/** What validation needs to know about its config. */
export interface ValidateContext {
  /** Unit name for errors. */
  unit: string;
  /** The schema, if any. Without one, every tree is valid and strings stay strings. */
  schema: StandardSchemaV1 | undefined;
  /** Decides what is secret. */
  policy: SecretPolicy;
  /** Secret strings to scrub from messages and frames. */
  known: readonly string[];
  /** Short file name for messages. */
  display(file: string): string;
}

/** A validated config: the input the schema saw, and its output. */
export interface Validated {
  /** The merged input with every {@link TextValue} resolved. */
  input: Record<string, unknown>;
  /** The schema's output (the input itself without a schema). */
  value: unknown;
}

/**
 * Resolves the tree's typed strings and validates it. Throws a {@link ConfigIssuesError} listing
 * every issue when no reading of the strings validates. Called in prepare.
 */
export async function resolveAndValidate(
  tree: MergedTree,
  ctx: ValidateContext,
): Promise<Validated> {
  const texts = collectTexts(tree.data, []);
  const choice = new Map<TextValue, number>(texts.map((t) => [t.text, 0]));
  for (;;) {
    const input = materialize(tree.data, choice) as Record<string, unknown>;
    const result = await runSchema(ctx.schema, input);
    if (!result.issues) return { input, value: result.value };
    // Try the next reading of every string an issue touches; stop when none has one left.
    let advanced = false;
    for (const { text, keys } of texts) {
      const at = choice.get(text) ?? 0;
      if (at + 1 >= text.candidates.length) continue;
      if (result.issues.some((i) => related(issueKeys(i), keys))) {
        choice.set(text, at + 1);
        advanced = true;
      }
    }
    if (!advanced) throw await issuesError(result.issues, input, tree, ctx);
  }
}

/**
 * Validates an already resolved input (a restart-required key put back to its live value).
 * Throws a {@link ConfigIssuesError} with `hint` when it does not validate. Called in prepare.
 */
export async function validateResolved(
  input: Record<string, unknown>,
  tree: MergedTree,
  ctx: ValidateContext,
  hint?: string,
): Promise<Validated> {
  const result = await runSchema(ctx.schema, input);
  if (!result.issues) return { input, value: result.value };
  throw await issuesError(result.issues, input, tree, ctx, hint);
}

async function runSchema(
  schema: StandardSchemaV1 | undefined,
  input: Record<string, unknown>,
): Promise<StandardSchemaV1.Result<unknown>> {
  if (!schema) return { value: input };
  return schema['~standard'].validate(input);
}

function issueKeys(issue: StandardSchemaV1.Issue): string[] {
  return (issue.path ?? []).map((seg) =>
    String(
      typeof seg === 'object' && seg !== null ? (seg as StandardSchemaV1.PathSegment).key : seg,
    ),
  );
}

function related(a: KeySegments, b: KeySegments): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

function collectTexts(value: unknown, keys: string[]): { text: TextValue; keys: string[] }[] {
  if (isTextValue(value)) return [{ text: value, keys }];
  if (Array.isArray(value)) return value.flatMap((v, i) => collectTexts(v, [...keys, String(i)]));
  if (isPlainObject(value))
    return Object.entries(value).flatMap(([k, v]) => collectTexts(v, [...keys, k]));
  return [];
}

function materialize(value: unknown, choice: ReadonlyMap<TextValue, number>): unknown {
  if (isTextValue(value)) return value.candidates[choice.get(value) ?? 0];
  if (Array.isArray(value)) return value.map((v) => materialize(v, choice));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = materialize(v, choice);
    return out;
  }
  return value;
}

async function issuesError(
  raw: readonly StandardSchemaV1.Issue[],
  input: Record<string, unknown>,
  tree: MergedTree,
  ctx: ValidateContext,
  hint?: string,
): Promise<IssuesError> {
  const kinds = new Set<Origin['kind'] | 'none'>();
  const issues: ConfigIssue[] = [];
  for (const issue of raw) {
    const keys = issueKeys(issue);
    const scrub = [...ctx.known];
    const value = getPath(input, keys);
    if (ctx.policy.isSecret(keys) && (typeof value === 'string' || typeof value === 'number')) {
      scrub.unshift(String(value));
    }
    const origin = nearestOrigin(tree, keys);
    kinds.add(origin?.origin.kind ?? 'none');
    issues.push({
      path: formatKeyPath(keys),
      message: redactText(issue.message, scrub),
      ...(origin ? await describeOrigin(origin.origin, origin.keys, ctx) : {}),
    });
  }
  const code: HotswapErrorCode =
    kinds.size === 1 && kinds.has('override') ? 'HS_ERR_CONFIG_OVERRIDE' : 'HS_ERR_CONFIG_INVALID';
  const lines = issues.map(
    (i) => `  - ${i.path || '(root)'}: ${i.message}${i.source ? ` (${i.source})` : ''}`,
  );
  const count = issues.length === 1 ? '1 issue' : `${issues.length} issues`;
  return new IssuesError(
    code,
    `configuration "${ctx.unit}" is invalid (${count}):\n${lines.join('\n')}`,
    issues,
    ctx.unit,
    hint ?? 'fix the values above; the live configuration is unchanged',
  );
}

function nearestOrigin(
  tree: MergedTree,
  keys: string[],
): { origin: Origin; keys: string[] } | undefined {
  for (let n = keys.length; n > 0; n--) {
    const origin = tree.origins.get(formatKeyPath(keys.slice(0, n)));
    if (origin) return { origin, keys: keys.slice(0, n) };
  }
  return undefined;
}

async function describeOrigin(
  origin: Origin,
  keys: string[],
  ctx: ValidateContext,
): Promise<Pick<ConfigIssue, 'source' | 'location' | 'frame'>> {
  switch (origin.kind) {
    case 'env':
      return { source: `env ${origin.name}` };
    case 'override':
      return { source: `override ${origin.key}` };
    case 'file': {
      const { parsed } = origin;
      const pos =
        parsed.kind === 'env' ? parsed.locateVar(origin.varName ?? '') : await parsed.locate(keys);
      const name = ctx.display(parsed.file);
      if (!pos) return { source: name };
      const mask = (line: string) => ctx.policy.maskLine(line, ctx.known);
      return {
        source: `${name}:${pos.line}:${pos.column}`,
        location: { file: parsed.file, ...pos },
        frame: codeFrame(parsed.text, pos.line, pos.column, { mask }),
      };
    }
  }
}
