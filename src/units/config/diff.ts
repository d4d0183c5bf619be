/**
 * Key-path diffs between two configs. Objects are compared key by key down to their leaves;
 * arrays, like every non-object, are compared whole (they replace, they do not merge).
 */
import { deepEqual, isPlainObject } from './_values.js';
import { formatKeyPath, type KeySegments } from './key-path.js';
import { REDACTED, type SecretPolicy } from './secrets.js';

/** One changed key. */
export interface KeyChange {
  /** Key path, e.g. `llm.model`. */
  readonly path: string;
  /** The same path split into keys. */
  readonly keys: KeySegments;
  /** What happened to the key. */
  readonly kind: 'added' | 'removed' | 'changed';
  /** The value before (undefined when added). */
  readonly oldValue: unknown;
  /** The value after (undefined when removed). */
  readonly newValue: unknown;
}

/**
 * Lists the leaf keys that differ between `before` and `after`, sorted by path.
 * @example
 * diffConfig({ llm: { model: 'a' } }, { llm: { model: 'b' } });
 * // [{ path: 'llm.model', kind: 'changed', oldValue: 'a', newValue: 'b', keys: ['llm', 'model'] }]
 */
export function diffConfig(before: unknown, after: unknown): KeyChange[] {
  const out: KeyChange[] = [];
  walk(before, after, [], out);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function walk(a: unknown, b: unknown, keys: string[], out: KeyChange[]): void {
  const aObj = isPlainObject(a);
  const bObj = isPlainObject(b);
  // Descend when both sides are objects, or one side is missing and the other an object with
  // keys, so a subscription to `llm.*` sees `llm.model` even when all of `llm` is new.
  const descend =
    (aObj && bObj) ||
    (aObj && b === undefined && Object.keys(a).length > 0) ||
    (bObj && a === undefined && Object.keys(b).length > 0);
  if (keys.length === 0 || descend) {
    const ao = aObj ? a : {};
    const bo = bObj ? b : {};
    for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) {
      walk(ao[k], bo[k], [...keys, k], out);
    }
    return;
  }
  if (deepEqual(a, b)) return;
  const kind = a === undefined ? 'added' : b === undefined ? 'removed' : 'changed';
  out.push({ path: formatKeyPath(keys), keys, kind, oldValue: a, newValue: b });
}

/** A change as shown to a person: secret values replaced by `[redacted]`. */
export interface ConfigChangeView {
  /** Key path. */
  path: string;
  /** What happened to the key. */
  kind: KeyChange['kind'];
  /** The value before, redacted; absent when added. */
  oldValue?: unknown;
  /** The value after, redacted; absent when removed. */
  newValue?: unknown;
}

/** Redacts a change for reports, logs and the CLI. */
export function viewChange(change: KeyChange, policy: SecretPolicy): ConfigChangeView {
  const view: ConfigChangeView = { path: change.path, kind: change.kind };
  const secret = policy.isSecret(change.keys);
  if (change.oldValue !== undefined) {
    view.oldValue = secret ? REDACTED : policy.redact(change.oldValue, change.keys);
  }
  if (change.newValue !== undefined) {
    view.newValue = secret ? REDACTED : policy.redact(change.newValue, change.keys);
  }
  return view;
}
