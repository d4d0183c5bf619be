/**
 * The reload pipeline of a config, off to the side of the live one:
 * read → parse → merge (files, then environment variables) → overrides → validate → diff →
 * classify (restart-required keys keep their live values) → a new version ready to commit.
 * Nothing here touches live state; `config-unit.ts` commits what this returns.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { HotswapError } from '../../errors.js';
import { canonicalJson, clonePlain, deepEqual, deepFreeze } from './_values.js';
import { diffConfig, type KeyChange } from './diff.js';
import { mapEnv } from './env.js';
import { deletePath, getPath, hasPath, type KeyPattern, setPath } from './key-path.js';
import { type LayerFile, readError } from './layers.js';
import { type MergedTree, rawView, TreeBuilder, textValue } from './merge.js';
import { applyOverrides, type OverrideSet } from './overrides.js';
import { parseConfigText } from './parse.js';
import type { KeyTree } from './schema-info.js';
import type { SecretPolicy } from './secrets.js';
import { resolveAndValidate, type ValidateContext, validateResolved } from './validate.js';

/** One version of a config: what it was built from and what it is. Immutable. */
export interface Version {
  /** Counts commits from 1; 0 only for a version not committed yet. */
  readonly generation: number;
  /** Files and environment variables merged, strings not yet typed (rollback starts here). */
  readonly base: MergedTree;
  /** The overrides of this version. */
  readonly overrides: OverrideSet;
  /** The input the schema validated (strings typed, restart-required keys kept live). */
  readonly input: Readonly<Record<string, unknown>>;
  /** The schema's output: the live config, deeply frozen. */
  readonly value: unknown;
  /** Content hash of {@link value}. */
  readonly hash: string;
  /** Files read, in merge order, as shown to a person. */
  readonly files: readonly string[];
}

/** The fixed facts of one config the pipeline works with. */
export interface PipelineSetup {
  readonly unit: string;
  readonly layers: readonly LayerFile[];
  readonly envPrefix: string | undefined;
  readonly envVars: () => Readonly<Record<string, string | undefined>>;
  readonly schema: StandardSchemaV1 | undefined;
  readonly schemaKeys: KeyTree;
  readonly policy: SecretPolicy;
  readonly restart: readonly KeyPattern[];
  readonly display: (file: string) => string;
}

/** Stops the pipeline when the reload was abandoned. */
export function throwIfAborted(signal: AbortSignal | undefined, unit: string): void {
  if (signal?.aborted) {
    throw new HotswapError(
      'HS_ERR_RELOAD_ABORTED',
      `reload of "${unit}" was aborted before commit`,
      {
        unit,
        cause: signal.reason,
      },
    );
  }
}

/**
 * Reads, parses and merges every layer file, then the environment variables. Throws
 * `HS_ERR_CONFIG_READ` or `HS_ERR_CONFIG_PARSE`. Called in prepare.
 */
export async function readBase(
  setup: PipelineSetup,
  options: { signal?: AbortSignal; known: readonly string[] },
): Promise<{ base: MergedTree; files: string[] }> {
  const builder = new TreeBuilder();
  const files: string[] = [];
  const mask = (line: string) => setup.policy.maskLine(line, options.known);
  for (const layer of setup.layers) {
    throwIfAborted(options.signal, setup.unit);
    let text: string;
    try {
      text = await readFile(layer.path, 'utf8');
    } catch (err) {
      // Variants are optional: a missing one is simply not a layer (yet).
      if (layer.optional && (err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw readError(layer, err, setup.unit);
    }
    files.push(layer.display);
    const parsed = parseConfigText(layer.path, layer.format, text, {
      unit: setup.unit,
      display: layer.display,
      mask,
    });
    if (parsed.kind === 'tree') {
      builder.mergeTree(parsed.data, { kind: 'file', parsed });
      continue;
    }
    const entries = mapEnv(parsed.vars, {
      prefix: setup.envPrefix ?? '',
      keepUnprefixed: true,
      data: builder.data,
      schemaKeys: setup.schemaKeys,
    });
    for (const e of entries) {
      const origin = { kind: 'file', parsed, varName: e.name } as const;
      builder.set(e.keys, textValue(e.raw, origin), origin);
    }
  }
  if (setup.envPrefix !== undefined) {
    const entries = mapEnv(setup.envVars(), {
      prefix: setup.envPrefix,
      data: builder.data,
      schemaKeys: setup.schemaKeys,
    });
    for (const e of entries) {
      const origin = { kind: 'env', name: e.name } as const;
      builder.set(e.keys, textValue(e.raw, origin), origin);
    }
  }
  return { base: builder.build(), files };
}

/** A version built off to the side, and how it differs from the live one. */
export interface Plan {
  /** The next version (generation 0 until committed). */
  readonly next: Version;
  /** Keys that change live, with real values. */
  readonly changes: readonly KeyChange[];
  /** Keys that changed but keep their live value until a restart. */
  readonly restart: readonly KeyChange[];
  /** True when the overrides differ from the live ones. */
  readonly overridesChanged: boolean;
}

/**
 * Applies overrides to a base, validates, diffs against the live version and keeps
 * restart-required keys at their live values (validating that result too). Throws a
 * `HS_ERR_CONFIG_INVALID`/`HS_ERR_CONFIG_OVERRIDE` error with every issue. Called in prepare.
 */
export async function planVersion(
  setup: PipelineSetup,
  from: { base: MergedTree; files: readonly string[]; overrides: OverrideSet },
  live: Version | undefined,
): Promise<Plan> {
  const builder = new TreeBuilder(from.base);
  applyOverrides(builder, from.overrides);
  const tree = builder.build();
  const known = [
    ...new Set([
      ...setup.policy.valuesIn(rawView(tree.data)),
      ...(live ? setup.policy.valuesIn(live.input) : []),
    ]),
  ].sort((a, b) => b.length - a.length);
  const vctx: ValidateContext = {
    unit: setup.unit,
    schema: setup.schema,
    policy: setup.policy,
    known,
    display: setup.display,
  };
  let { input, value } = await resolveAndValidate(tree, vctx);
  let changes = diffConfig(live?.value, value);
  let restart: KeyChange[] = [];
  if (live) {
    restart = changes.filter((c) => setup.restart.some((p) => p.overlaps(c.keys)));
    if (restart.length > 0) {
      const pinned = clonePlain(input);
      for (const c of restart) {
        if (hasPath(live.input, c.keys))
          setPath(pinned, c.keys, clonePlain(getPath(live.input, c.keys)));
        else deletePath(pinned, c.keys);
      }
      const paths = restart.map((c) => c.path).join(', ');
      ({ input, value } = await validateResolved(
        pinned,
        tree,
        vctx,
        `${paths} change only with a restart, and the rest of the change is not valid without them: restart the process to apply it`,
      ));
      changes = diffConfig(live.value, value);
    }
  }
  deepFreeze(input);
  deepFreeze(value);
  return {
    next: {
      generation: 0,
      base: from.base,
      overrides: from.overrides,
      input,
      value,
      hash: contentHash(value),
      files: from.files,
    },
    changes,
    restart,
    overridesChanged: !live || !sameOverrides(live.overrides, from.overrides),
  };
}

function sameOverrides(a: OverrideSet, b: OverrideSet): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!b.has(k) || !deepEqual(v, b.get(k))) return false;
  return true;
}

// Keyed per process: a plain hash of a config whose other values are known would let anyone
// who sees it test guesses of a short secret. Equal configs still hash equally in one process.
const hashKey = randomBytes(32);

/** Content hash of a config value, 16 hex digits, stable within one process. */
export function contentHash(value: unknown): string {
  return createHmac('sha256', hashKey).update(canonicalJson(value)).digest('hex').slice(0, 16);
}
