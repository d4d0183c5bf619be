/**
 * Module units (after the seed design "HotModule": name, file, state keys, delegation targets):
 * one app file whose live exports long-lived code reaches through a handle. The module's new
 * version is built by the code unit in the same transaction as everything else; at commit the
 * handle swaps to it, named state is carried (through `migrate`), and in-flight work keeps the
 * version it started on (leases).
 *
 * State lives in the module's own `import.meta.hot.data`: the module reads it at call time
 * (`import.meta.hot.data.count`), and `migrate` reshapes it when the new version needs another
 * shape (Erlang's `code_change`); a `migrate` that throws keeps the old version and its state.
 */
import { isAbsolute, resolve } from 'node:path';
import { HotswapError } from '../errors.js';
import { type CodeUnit, codeUnitIn } from './code.js';
import type { Handle } from './handle.js';
import type { Migrate } from './hot-state.js';
import { createHotUnit, type HotUnit, type UnitRegistry } from './hot-unit.js';

/** A module namespace as a module unit's handle holds it. */
export type ModuleExports = Record<string, unknown>;

/** Options of {@link createModuleUnit} and {@link hotModule}. */
export interface ModuleUnitOptions<T extends object = ModuleExports, K extends string = never> {
  /** Unique unit name. */
  name: string;
  /** The module's file: absolute, or relative to the code unit's root. */
  file: string;
  /** Keys of the module's `import.meta.hot.data` carried (and migrated) from version to version. @default [] */
  state?: readonly string[];
  /** Commit phase: reshapes the carried state for the new version. A throw keeps the old version. */
  migrate?: Migrate;
  /** Exports offered as stable delegating functions in `unit.delegates`. @default [] */
  delegates?: readonly K[];
  /** Verify phase: checks the committed exports; a throw rolls the reload back. */
  verify?(exports: T): void | PromiseLike<void>;
  /** Other units this one depends on (the code unit is added). @default [] */
  dependsOn?: readonly string[];
  /** Earlier versions kept for `rollback(steps)`. @default 5 */
  keep?: number;
}

/**
 * Creates a module unit over `code`. Prefer {@link hotModule}, which also adds the code unit.
 * @example
 * const routes = runtime.add(createModuleUnit(code, { name: 'routes', file: 'src/routes.ts', delegates: ['handle'] }));
 * server.on('request', routes.delegates.handle);
 */
export function createModuleUnit<T extends object = ModuleExports, K extends string = never>(
  code: CodeUnit,
  options: ModuleUnitOptions<T, K>,
): HotUnit<T, K> {
  const file = isAbsolute(options.file) ? options.file : resolve(code.loader.root, options.file);
  if (!code.loader.root || !file.startsWith(code.loader.root)) {
    throw new HotswapError(
      'HS_ERR_LOADER_UNSUPPORTED',
      `${options.name}: ${file} is outside the app root ${code.loader.root}`,
      {
        unit: options.name,
      },
    );
  }
  code.own(file, options.name);
  const data = (): Record<string, unknown> => code.loader.data(file) ?? {};
  // The source text behind each version's exports: a rollback evaluates it again.
  const sources = new WeakMap<object, string>();
  const remember = <V extends object | undefined>(value: V, source: string | undefined): V => {
    if (value !== undefined && source !== undefined) sources.set(value, source);
    return value;
  };
  const unit = createHotUnit<T, K>({
    name: options.name,
    kind: 'module',
    dependsOn: [code.name, ...(options.dependsOn ?? [])],
    files: [file],
    state: options.state ?? [],
    ...(options.migrate ? { migrate: options.migrate } : {}),
    ...(options.delegates ? { delegates: options.delegates } : {}),
    ...(options.keep === undefined ? {} : { keep: options.keep }),
    ...(options.verify ? { verify: options.verify } : {}),
    // Work leased to the previous version runs on its module versions: they stay until it ends.
    holdReplaced: (until) => code.holdRetired(until),
    // State is the module's hot.data: read before the swap, written (migrated) into it after.
    get: (_version, keys) =>
      Object.fromEntries(keys.filter((k) => k in data()).map((k) => [k, data()[k]])),
    set: (_version, state) => {
      Object.assign(data(), state);
    },
    versionSource: () => {
      const staged = code.staged(file);
      if (staged) return remember(staged as T, code.stagedSource(file));
      const failure = code.stagedFailure(file);
      if (failure !== undefined) throw failure;
      // Loaded already by another import before this unit owned it: start from the live exports.
      if (!unit.handle.ready) {
        return remember(code.loader.namespace(file) as T | undefined, code.loader.source(file));
      }
      return undefined;
    },
    // A rollback evaluates the earlier source again (against today's imports): the version
    // comes back whole, with what its body starts (timers, listeners on its scope) running. The
    // file on disk is untouched, so the next reload that reads it brings that version back.
    revive: async (kept) => {
      const source = sources.get(kept.value);
      if (source === undefined) return undefined;
      const update = await code.loader.prepareUpdate([], { sources: new Map([[file, source]]) });
      const value = update.namespace(file) as T | undefined;
      if (update.outcome !== 'updated' || value === undefined) {
        await update.discard();
        return undefined;
      }
      remember(value, source);
      return {
        value,
        commit: () => update.commit(),
        rollback: () => update.rollback(),
        discard: () => update.discard(),
        finalize: () => update.finalize(),
      };
    },
  });
  return unit;
}

/**
 * Registers a module unit on a runtime (adding the code unit `code` when the runtime has none)
 * and returns its handle. The module loads with the next reload.
 * @example
 * const routes = hotModule(runtime, { name: 'routes', file: 'src/routes.ts', delegates: ['handle'] });
 * await runtime.reload();
 * routes.current.handle(req, res);
 */
export function hotModule<T extends object = ModuleExports, K extends string = never>(
  registry: UnitRegistry,
  options: ModuleUnitOptions<T, K> & { code?: string; root?: string },
): Handle<T> {
  const code = codeUnitIn(registry, options.code, options.root);
  return registry.add(createModuleUnit<T, K>(code, options)).handle;
}
