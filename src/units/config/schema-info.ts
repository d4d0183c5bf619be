/**
 * What a schema tells beyond validation, read from its Standard JSON Schema form when the
 * library offers one (zod 4 does; valibot does not): which keys are secret, and which keys
 * exist (so `APP_LLM__API_KEY` finds `llm.apiKey`). Without that form both are simply empty.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { formatKeyPath } from './key-path.js';

/** Nested key names a schema declares: `{ llm: { model: {}, apiKey: {} } }`. */
export interface KeyTree {
  [key: string]: KeyTree;
}

/** Facts read from a schema. */
export interface SchemaInfo {
  /**
   * Key-path globs of properties marked secret: `secret: true` (zod: `.meta({ secret: true })`),
   * `writeOnly: true` or `format: "password"`. `*` stands for any key or array index.
   */
  secretPaths: string[];
  /** Keys the schema declares. */
  keys: KeyTree;
}

type JsonSchema = Record<string, unknown>;

/**
 * Reads {@link SchemaInfo} from any Standard Schema; empty when it has no JSON Schema form.
 * Called once, when the config is created.
 * @example
 * schemaInfo(z.object({ key: z.string().meta({ secret: true }) })).secretPaths; // ['key']
 */
export function schemaInfo(schema: StandardSchemaV1 | undefined): SchemaInfo {
  const info: SchemaInfo = { secretPaths: [], keys: {} };
  const converter = (
    schema?.['~standard'] as { jsonSchema?: { input(o: { target: string }): JsonSchema } }
  )?.jsonSchema;
  if (!converter) return info;
  let root: JsonSchema;
  try {
    root = converter.input({ target: 'draft-2020-12' });
  } catch {
    // Some schemas have no JSON form (custom checks); they still validate.
    return info;
  }
  const defs = { ...(root.$defs as Record<string, JsonSchema> | undefined) };
  const seen = new Set<JsonSchema>();
  const walk = (node: unknown, path: string[], keys: KeyTree): void => {
    if (typeof node !== 'object' || node === null) return;
    let s = node as JsonSchema;
    if (typeof s.$ref === 'string' && s.$ref.startsWith('#/$defs/')) s = defs[s.$ref.slice(8)] ?? s;
    if (seen.has(s)) return; // recursive schemas
    seen.add(s);
    if (path.length > 0 && (s.secret === true || s.writeOnly === true || s.format === 'password')) {
      info.secretPaths.push(formatKeyPath(path));
    }
    const props = s.properties as Record<string, unknown> | undefined;
    for (const [key, child] of Object.entries(props ?? {})) {
      keys[key] ??= {};
      walk(child, [...path, key], keys[key]);
    }
    if (typeof s.additionalProperties === 'object')
      walk(s.additionalProperties, [...path, '*'], {});
    if (typeof s.items === 'object') walk(s.items, [...path, '*'], {});
    for (const k of ['anyOf', 'oneOf', 'allOf'] as const) {
      if (Array.isArray(s[k])) for (const alt of s[k] as unknown[]) walk(alt, path, keys);
    }
    seen.delete(s);
  };
  walk(root, [], info.keys);
  return info;
}
