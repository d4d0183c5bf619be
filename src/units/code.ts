/**
 * The code unit: an app's module graph (the loader) as one unit of a runtime. Its prepare builds
 * the new versions of changed files (and first loads of newly owned files) beside the live ones;
 * commit swaps them all at once; rollback undoes that exactly. Each changed file is a part: a
 * file whose new version fails keeps its last good version while the others go through.
 *
 * Module units and command tables own files in the graph (`own()`); they depend on this unit and
 * read their new namespaces from the update it prepared (`staged()`).
 *
 * Updates are all or nothing, except for files whose owner asked for per-part policy (a command
 * table: one broken command keeps its last good version while the others reload; the owner
 * reports it as one of its parts). A failure in any other file — shared code, say — fails the
 * whole reload and changes nothing.
 */
import type { Logger } from 'pino';
import { type HotswapError, serializeError } from '../errors.js';
import { createLoader, type Loader, type LoaderOptions } from '../loader/loader.js';
import type { LoaderUpdate } from '../loader/update.js';
import type { UnitRegistry } from './hot-unit.js';
import type {
  PartResult,
  PrepareContext,
  PreparedChange,
  Unit,
  UnitHost,
  UnitStatus,
} from './unit.js';

/** Options of {@link createCodeUnit}. */
export interface CodeUnitOptions {
  /** Unit name. @default 'code' */
  name?: string;
  /** The app folder whose files are hot. @default process.cwd() */
  root?: string;
  /** Use this loader instead of creating one (e.g. the one `hotswap run` made). */
  loader?: Loader;
  /** Passed to `createLoader` when the unit makes its own. */
  transform?: LoaderOptions['transform'];
}

/** The app's module graph as a unit. Create with {@link createCodeUnit}. */
export interface CodeUnit extends Unit {
  readonly loader: Loader;
  /**
   * Makes `file` a boundary owned by `owner`: changes stop there and the owner takes the new
   * namespace. The file is loaded (as part of the next reload) if it is not yet. Returns a
   * function that releases it (it is then pruned by a later update if nothing imports it).
   */
  own(file: string, owner: string, options?: { partial?: boolean }): () => void;
  /**
   * Registers a discoverer for `owner` (a command table): at the start of every prepare it lists
   * the files the owner wants now; new ones are owned (with `options`) and loaded in the same
   * update, so a new file is part of the same transaction as everything else. Files it stops
   * listing stay owned until the owner releases them (at its commit). Returns an unregister.
   */
  discover(
    owner: string,
    list: () => readonly string[],
    options?: { partial?: boolean },
  ): () => void;
  /** Releases `file` if `owner` owns it (a removed command). Pruned by a later update. */
  release(file: string, owner: string): void;
  /**
   * During a reload, after this unit prepared: the namespace `file` will have if the reload
   * commits, when the update gives it a new version (changed, re-evaluated or first loaded).
   */
  staged(file: string): Record<string, unknown> | undefined;
  /** During a reload: the error that kept `file` on its last good version, if any. */
  stagedFailure(file: string): unknown;
  /** During a reload: the source text behind {@link staged}`(file)`. */
  stagedSource(file: string): string | undefined;
  /**
   * During a reload, once this unit committed: keeps the module versions the reload replaced
   * (their scopes, timers, listeners, dispose callbacks) running until `until` settles. For an
   * owner whose previous version still has work leased to it (a command in flight). No-op when
   * this reload changed no module.
   */
  holdRetired(until: Promise<unknown>): void;
}

/**
 * Creates the code unit.
 * @example
 * const runtime = createRuntime();
 * const code = runtime.add(createCodeUnit({ root: import.meta.dirname }));
 */
export function createCodeUnit(options: CodeUnitOptions = {}): CodeUnit {
  return new CodeUnitImpl(options);
}

class CodeUnitImpl implements CodeUnit {
  readonly name: string;
  readonly kind = 'code';
  readonly dependsOn: readonly string[] = [];
  readonly loader: Loader;
  readonly #owners = new Map<string, string>();
  /** Owned files whose failure is isolated (the owner keeps their last good version). */
  readonly #partial = new Set<string>();
  readonly #releases = new Map<string, () => void>();
  readonly #discoverers = new Map<string, { list: () => readonly string[]; partial: boolean }>();
  /** Owned files this unit loaded as update roots (entries of the graph until released). */
  readonly #rooted = new Set<string>();
  readonly #ownsLoader: boolean;
  #update: LoaderUpdate | undefined;
  #generation = 0;
  #lastOutcome: UnitStatus['lastOutcome'];
  #lastError: UnitStatus['lastError'];
  #log: Logger | undefined;

  constructor(options: CodeUnitOptions) {
    this.name = options.name ?? 'code';
    this.#ownsLoader = options.loader === undefined;
    this.loader =
      options.loader ??
      createLoader({
        root: options.root ?? process.cwd(),
        ...(options.transform ? { transform: options.transform } : {}),
      });
  }

  get generation(): number {
    return this.#generation;
  }

  attach(host: UnitHost): void {
    this.#log = host.log;
  }

  own(file: string, owner: string, options: { partial?: boolean } = {}): () => void {
    const accepted = this.loader.accept(file, owner);
    this.#owners.set(file, owner);
    if (options.partial) this.#partial.add(file);
    const release = (): void => {
      accepted();
      if (this.#owners.get(file) === owner) {
        this.#owners.delete(file);
        this.#partial.delete(file);
        this.#releases.delete(file);
        if (this.#rooted.delete(file)) this.loader.unroot(file);
      }
    };
    this.#releases.set(file, release);
    return release;
  }

  discover(
    owner: string,
    list: () => readonly string[],
    options: { partial?: boolean } = {},
  ): () => void {
    this.#discoverers.set(owner, { list, partial: options.partial ?? false });
    return () => {
      this.#discoverers.delete(owner);
    };
  }

  holdRetired(until: Promise<unknown>): void {
    if (this.#update?.state === 'committed') this.#update.holdRetired(until);
  }

  release(file: string, owner: string): void {
    if (this.#owners.get(file) === owner) this.#releases.get(file)?.();
  }

  staged(file: string): Record<string, unknown> | undefined {
    const update = this.#update;
    if (!update) return undefined;
    const fresh = update.reevaluated.includes(file) || update.added.includes(file);
    return fresh ? update.namespace(file) : undefined;
  }

  stagedSource(file: string): string | undefined {
    return this.staged(file) === undefined ? undefined : this.#update?.source(file);
  }

  stagedFailure(file: string): unknown {
    return this.#update?.failures.find((f) => f.file === file)?.error;
  }

  watchPaths(): readonly string[] {
    return [this.loader.root];
  }

  async prepare(ctx: PrepareContext): Promise<PreparedChange | undefined> {
    for (const [owner, { list, partial }] of this.#discoverers) {
      for (const file of list()) if (!this.#owners.has(file)) this.own(file, owner, { partial });
    }
    // Owned files not loaded yet are loaded now, inside the transaction.
    const roots = [...this.#owners.keys()].filter((file) => !this.loader.has(file));
    for (const file of roots) this.#rooted.add(file);
    // Without known changes (an API or signal reload), every file in the graph is compared.
    const files = ctx.changedFiles.size > 0 ? [...ctx.changedFiles] : this.loader.files();
    let update: LoaderUpdate;
    try {
      update = await this.loader.prepareUpdate(files, { roots, partial: true });
    } catch (err) {
      this.#lastOutcome = 'failed';
      this.#lastError = serializeError(err);
      throw err;
    }
    const fatal = update.failures.find((f) => !this.#partial.has(f.file));
    if (fatal) {
      await update.discard();
      this.#lastOutcome = 'failed';
      this.#lastError = serializeError(fatal.error);
      throw fatal.error;
    }
    if (update.outcome === 'unchanged') {
      if (update.failures.length === 0) return undefined;
      // Only isolated parts changed, and all of them failed: their owners report them (under
      // their own part names, once), nothing is applied.
      const failed = this.#ownFailures(update).map(
        (f): PartResult => ({
          name: f.file,
          file: f.file,
          outcome: 'failed',
          error: serializeError(f.error),
        }),
      );
      this.#update = update;
      const clear = (): void => {
        if (this.#update === update) this.#update = undefined;
      };
      return {
        outcome: 'refreshed',
        summary: `${update.failures.length} failed`,
        parts: failed,
        commit() {},
        rollback: clear,
        discard: clear,
        finalize: () => {
          clear();
          this.#lastOutcome = 'failed';
          this.#lastError = serializeError(update.failures[0]?.error);
        },
      };
    }
    if (update.outcome === 'restart-required') {
      this.#lastOutcome = 'restart-required';
      const file = update.restart?.location?.file;
      return {
        outcome: 'restart-required',
        summary: update.restart?.message ?? 'restart required',
        restartRequired: file ? [file] : [],
        commit() {},
        rollback() {},
        discard() {},
      };
    }
    this.#update = update;
    const parts: PartResult[] = [
      ...update.changed.map((file): PartResult => ({ name: file, file, outcome: 'refreshed' })),
      ...update.added.map((file): PartResult => ({ name: file, file, outcome: 'added' })),
      ...update.removed.map((file): PartResult => ({ name: file, file, outcome: 'removed' })),
      ...this.#ownFailures(update).map(
        (f): PartResult => ({
          name: f.file,
          file: f.file,
          outcome: 'failed',
          error: serializeError(f.error),
        }),
      ),
    ];
    const importers = update.reevaluated.length - update.changed.length;
    const clear = (): void => {
      if (this.#update === update) this.#update = undefined;
    };
    return {
      outcome: this.#generation === 0 ? 'added' : 'refreshed',
      summary: `${update.changed.length + update.added.length} file(s)${importers > 0 ? ` +${importers} importer(s)` : ''}${update.failures.length > 0 ? `, ${update.failures.length} failed` : ''}`,
      parts,
      commit: () => {
        update.commit();
        this.#generation++;
      },
      rollback: async () => {
        if (update.state !== 'committed') return;
        this.#generation--;
        clear();
        await update.rollback();
      },
      discard: async () => {
        clear();
        await update.discard();
      },
      finalize: async () => {
        clear();
        await update.finalize();
        this.#lastOutcome = update.failures.length > 0 ? 'failed' : 'refreshed';
        this.#lastError = update.failures[0] ? serializeError(update.failures[0].error) : undefined;
        const warn = (warning: HotswapError): void =>
          this.#log?.warn({ err: warning, unit: this.name }, warning.message);
        const logged = update.warnings.length;
        for (const warning of update.warnings) warn(warning);
        // Versions held for leased work are disposed later; so are their callbacks' errors.
        void update.retired.then(() => {
          for (const warning of update.warnings.slice(logged)) warn(warning);
        });
      },
    };
  }

  /**
   * Failures this unit reports as its own parts: those of files whose owner has per-part policy
   * (a command table) are reported by that owner, so one failure is one line of the report.
   */
  #ownFailures(update: LoaderUpdate): readonly { file: string; error: unknown }[] {
    return update.failures.filter((f) => !(this.#partial.has(f.file) && this.#owners.has(f.file)));
  }

  status(): UnitStatus {
    return {
      name: this.name,
      kind: this.kind,
      generation: this.#generation,
      state: 'active',
      ...(this.#lastOutcome ? { lastOutcome: this.#lastOutcome } : {}),
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
      details: { modules: this.loader.size, owned: this.#owners.size, root: this.loader.root },
    };
  }

  async close(): Promise<void> {
    if (this.#ownsLoader) await this.loader.close();
  }
}

/**
 * The runtime's code unit named `name`, registered first (over `root`) when the runtime has
 * none: module units and command tables share one graph.
 */
export function codeUnitIn(registry: UnitRegistry, name = 'code', root?: string): CodeUnit {
  if (registry.has(name)) return registry.get(name) as CodeUnit;
  return registry.add(createCodeUnit({ name, ...(root ? { root } : {}) }));
}
