/**
 * The loader (layer 1): the module graph of an app's own files. It loads them through its own
 * evaluator, invalidates a changed file and its importers up to a boundary, builds the new
 * versions beside the live ones, and commits them only when every one of them linked and
 * evaluated. Packages and builtins load natively and are never reloaded.
 *
 * One update or first-time load at a time: a prepared update holds the loader until it is
 * finalized, rolled back or discarded.
 */
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { performance } from 'node:perf_hooks';
import { HotswapError, serializeError } from '../errors.js';
import { withHotCompiles } from './compile.js';
import type { Graph, ModuleNode } from './graph.js';
import type { HotHost } from './hot-context.js';
import type { ModuleInstance } from './instance.js';
import { propagate } from './propagate.js';
import { Resolver } from './resolve.js';
import { Staging } from './staging.js';
import { type TransformOptions, transformModule } from './transform.js';
import { transformOptionsFromTsconfig } from './tsconfig.js';
import { LoaderUpdate } from './update.js';

/** Options of {@link createLoader}. */
export interface LoaderOptions {
  /** Folder of the app: files under it (outside node_modules) are hot. */
  root: string;
  /** Passed to the TypeScript/JSX transform. @default read from `<root>/tsconfig.json` */
  transform?: TransformOptions;
  /**
   * Called after an update finalized when a module called `import.meta.hot.invalidate()`:
   * the host should run `update(importers, { force: importers })`.
   */
  onInvalidate?: (request: {
    file: string;
    importers: string[];
    message: string | undefined;
  }) => void;
}

/** Options of {@link Loader.prepareUpdate}. */
export interface UpdateOptions {
  /** Files to re-evaluate even if their content did not change. */
  force?: Iterable<string>;
  /**
   * App files to load for the first time as part of this update (new entries, such as a module
   * unit's file or a new command module). They become live only if the update commits.
   */
  roots?: Iterable<string>;
  /**
   * Apply what works: a changed file (or new root) whose new version fails is set aside with its
   * error in `update.failures` and keeps its last good version, while the others go through.
   * Without it, one failure fails the whole update. @default false
   */
  partial?: boolean;
  /**
   * Source text to use instead of what is on disk, by absolute path (a module unit's rollback
   * re-evaluates an earlier version's source). Listed files are updated even if unchanged.
   */
  sources?: ReadonlyMap<string, string>;
}

/** A part of a partial update that failed and kept its last good version. */
export interface UpdateFailure {
  /** The changed, removed or new file whose update failed. */
  file: string;
  error: unknown;
}

type Part = {
  kind: 'changed' | 'removed' | 'root';
  file: string;
  node?: ModuleNode;
  plan?: ReturnType<typeof propagate>;
};

type StageAttempt =
  | { kind: 'staged'; staging: Staging; plan: ReturnType<typeof propagate> }
  | { kind: 'restart'; restart: NonNullable<ReturnType<typeof propagate>['restart']> }
  | { kind: 'failed'; error: unknown; culprits: Set<Part> };

/** The module graph of one app. Create with {@link createLoader}. */
export interface Loader {
  /** Absolute root folder. */
  readonly root: string;
  /** Number of app modules in the graph. */
  readonly size: number;
  /**
   * Imports a module through the graph (an app file) or natively (anything else), and marks an
   * app file as an entry: a change that reaches it unaccepted needs a restart.
   * Throws a located `HotswapError` (syntax, resolve, link, evaluate); nothing is left behind.
   */
  import<T = Record<string, unknown>>(specifier: string, parent?: string): Promise<T>;
  /**
   * Prepares the update for `files` (changed, added or deleted paths) off to the side. Files of a
   * failed earlier update are retried with them. Throws a located `HotswapError` when a new version
   * does not transform, resolve, link or evaluate; then nothing changed. Returns an update to
   * `commit()` then `finalize()`, or `discard()`.
   */
  prepareUpdate(files: Iterable<string>, options?: UpdateOptions): Promise<LoaderUpdate>;
  /** `prepareUpdate` + `commit` + `finalize`. A restart-required update is returned uncommitted. */
  update(files: Iterable<string>, options?: UpdateOptions): Promise<LoaderUpdate>;
  /**
   * Makes `file` a boundary owned by `owner` (a module unit): changes stop there and the owner
   * takes the new namespace from the update. Returns a function that releases ownership.
   */
  accept(file: string, owner: string): () => void;
  /**
   * Stops treating `file` as an entry (it was loaded by `import()` or as an update root), so an
   * update that finds nothing importing it any more prunes it and disposes its version.
   */
  unroot(file: string): void;
  /** Whether `file` is an app module in the graph. */
  has(file: string): boolean;
  /** The live namespace of an app file, if loaded. */
  namespace(file: string): Record<string, unknown> | undefined;
  /** `import.meta.hot.data` of `file` (shared by all its versions), if it is in the graph. */
  data(file: string): Record<string, unknown> | undefined;
  /** Source text of the live version of `file`, if it is in the graph. */
  source(file: string): string | undefined;
  /** Generation (1, 2, …) of the live version of `file`, or 0. */
  generation(file: string): number;
  /** Every app file in the graph. */
  files(): string[];
  /** Listens to loader events (`beforeUpdate`, `afterUpdate`, `beforePrune`, `error`, …). */
  on(event: string, listener: (payload: unknown) => void): () => void;
  /** Disposes every live version (dispose callbacks, scopes), newest imports first. */
  close(): Promise<void>;
}

/**
 * Creates a loader for an app folder.
 * @example
 * const loader = createLoader({ root: process.cwd() });
 * const app = await loader.import('./src/server.ts');
 * const update = await loader.update(['/abs/src/routes.ts']);
 * console.log(update.outcome, update.reevaluated);
 */
export function createLoader(options: LoaderOptions): Loader {
  return new LoaderImpl(options);
}

class LoaderImpl implements Loader {
  readonly root: string;
  readonly graph: Graph = new Map();
  readonly resolver: Resolver;
  readonly transformOptions: TransformOptions;
  readonly hotHost: HotHost;
  readonly #options: LoaderOptions;
  readonly #natives = new Map<string, Promise<object>>();
  readonly #listeners = new Map<string, Set<(payload: unknown) => void>>();
  readonly #pending = new Set<string>();
  readonly #invalidations: { instance: ModuleInstance; message: string | undefined }[] = [];
  #lock: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: LoaderOptions) {
    this.#options = options;
    this.root = resolvePath(options.root);
    this.resolver = new Resolver(this.root);
    this.transformOptions = options.transform ?? transformOptionsFromTsconfig(this.root);
    this.hotHost = {
      resolveDep: (specifier, from) => {
        try {
          const resolved = this.resolver.resolve(specifier, from.node.file);
          return resolved.kind === 'app' ? resolved.file : undefined;
        } catch {
          return undefined;
        }
      },
      listen: (event, listener) => this.on(event, listener),
      emit: (event, payload) => this.#dispatch(event, payload),
      invalidate: (instance, message) => {
        this.#invalidations.push({ instance, message });
        this.#emit('invalidate', { path: instance.node.file, message });
      },
    };
  }

  get size(): number {
    return this.graph.size;
  }

  async import<T>(specifier: string, parent?: string): Promise<T> {
    const parentFile = parent ?? resolvePath(this.root, '__hotswap_entry__.js');
    const resolved = this.resolver.resolve(specifier, parentFile);
    if (resolved.kind === 'native') return (await this.importNative(resolved.url, {})) as T;
    const instance = await this.#importApp(resolved.file);
    instance.node.root = true;
    return instance.ns as T;
  }

  async prepareUpdate(files: Iterable<string>, options: UpdateOptions = {}): Promise<LoaderUpdate> {
    this.#assertOpen();
    const release = this.#afterUpdate(await this.#acquire());
    const started = performance.now();
    const requested = new Set([...files].map((f) => resolvePath(f)));
    for (const file of this.#pending) requested.add(file);
    const given = new Map(
      [...(options.sources ?? [])].map(([file, text]) => [resolvePath(file), text] as const),
    );
    const forced = new Set([...(options.force ?? []), ...given.keys()].map((f) => resolvePath(f)));
    for (const file of forced) requested.add(file);

    const sources = new Map<string, string>();
    const changed: ModuleNode[] = [];
    const removed: ModuleNode[] = [];
    for (const file of requested) {
      const node = this.graph.get(file);
      if (!node?.live) continue;
      let source: string;
      try {
        source = given.get(file) ?? readFileSync(file, 'utf8');
      } catch {
        removed.push(node);
        continue;
      }
      if (source === node.record?.source && !forced.has(file)) continue;
      sources.set(file, source);
      changed.push(node);
    }

    const roots = [...(options.roots ?? [])]
      .map((f) => resolvePath(f))
      .filter((f) => !this.graph.get(f)?.live);
    // File lookups stay valid while no file came or went: an edit to files already in the graph
    // (the common case) resolves every import from the cache. A file the graph does not know may
    // be new, and may now win a lookup (`./x.js` beside `./x.ts`); a removed one lost its own.
    const unknown = [...requested].some((file) => !this.graph.get(file)?.live);
    if (unknown || removed.length > 0 || roots.length > 0) this.resolver.clear();
    else this.resolver.forgetMisses();
    const host = { graph: this.graph, emit: (e: string, p: unknown) => this.#emit(e, p), release };
    if (changed.length === 0 && removed.length === 0 && roots.length === 0) {
      this.#pending.clear();
      return new LoaderUpdate({ host, outcome: 'unchanged' });
    }

    let parts: Part[] = [
      ...changed.map(
        (node): Part => ({ kind: 'changed', file: node.file, node, plan: propagate([node], []) }),
      ),
      ...removed.map(
        (node): Part => ({ kind: 'removed', file: node.file, node, plan: propagate([], [node]) }),
      ),
      ...roots.map((file): Part => ({ kind: 'root', file })),
    ];
    const failures: UpdateFailure[] = [];
    for (;;) {
      const attempt = await this.#stage(parts, sources);
      if (attempt.kind === 'restart') {
        try {
          // A broken file is reported as broken, not restarted into.
          for (const node of changed)
            transformModule(node.file, sources.get(node.file)!, this.transformOptions);
        } catch (err) {
          this.#failed(requested, err);
          release();
          throw err;
        }
        this.#pending.clear();
        this.#emit('beforeFullReload', { path: attempt.restart.node.file });
        return new LoaderUpdate({
          host,
          outcome: 'restart-required',
          restart: restartError(attempt.restart),
        });
      }
      if (attempt.kind === 'staged') {
        const kept = new Set(parts.map((p) => p.file));
        for (const failure of failures)
          if (!kept.has(failure.file)) this.#pending.add(failure.file);
        if (failures.length === 0) this.#pending.clear();
        else for (const file of requested) if (kept.has(file)) this.#pending.delete(file);
        return new LoaderUpdate({
          host,
          outcome: 'updated',
          staging: attempt.staging,
          changed: parts.filter((p) => p.kind === 'changed').map((p) => p.file),
          removed: parts.filter((p) => p.kind === 'removed').map((p) => p.node!),
          boundaries: attempt.plan.boundaries,
          failures,
          prepareMs: performance.now() - started,
        });
      }
      // Failed: with `partial`, set the culprit parts aside and stage the rest again.
      const culprits = options.partial ? parts.filter((p) => attempt.culprits.has(p)) : [];
      if (culprits.length === 0) {
        this.#failed(requested, attempt.error);
        release();
        throw attempt.error;
      }
      if (culprits.length === parts.length) {
        // Every part failed: nothing to apply, and each keeps its last good version.
        for (const part of culprits) failures.push({ file: part.file, error: attempt.error });
        this.#failed(requested, attempt.error);
        return new LoaderUpdate({ host, outcome: 'unchanged', failures });
      }
      for (const part of culprits) failures.push({ file: part.file, error: attempt.error });
      parts = parts.filter((p) => !attempt.culprits.has(p));
    }
  }

  /** Stages `parts` together; on failure, says which parts the failing module belongs to. */
  async #stage(parts: Part[], sources: Map<string, string>): Promise<StageAttempt> {
    const changedNodes = parts.filter((p) => p.kind === 'changed').map((p) => p.node!);
    const removedNodes = parts.filter((p) => p.kind === 'removed').map((p) => p.node!);
    const plan = propagate(changedNodes, removedNodes);
    if (plan.restart) return { kind: 'restart', restart: plan.restart };
    const staging = new Staging(this, plan.invalidated, sources);
    const loadedBy = new Map<string, Part>();
    let current: Part | undefined;
    try {
      for (const part of parts) {
        current = part;
        const before = new Set(staging.instances.keys());
        const files =
          part.kind === 'root' ? [part.file] : [...part.plan!.invalidated].map((n) => n.file);
        withHotCompiles(() => {
          for (const file of files) staging.load(file);
        });
        for (const node of staging.instances.keys())
          if (!before.has(node)) loadedBy.set(node.file, part);
      }
      current = undefined;
      await staging.loadNatives();
      staging.link();
      staging.instantiate();
      for (const node of plan.invalidated) await staging.evaluate(staging.instances.get(node)!);
      for (const part of parts) {
        if (part.kind === 'root')
          await staging.evaluate(staging.instances.get(staging.node(part.file))!);
      }
    } catch (error) {
      await this.#abandon(staging);
      const culprits = new Set<Part>();
      if (current) culprits.add(current);
      const failing = staging.failingModule;
      if (failing !== undefined) {
        const owner = loadedBy.get(failing);
        if (owner) culprits.add(owner);
        for (const part of parts) {
          if (part.plan && [...part.plan.invalidated].some((n) => n.file === failing))
            culprits.add(part);
        }
      }
      return { kind: 'failed', error, culprits };
    }
    for (const part of parts) if (part.kind === 'root') staging.node(part.file).root = true;
    return { kind: 'staged', staging, plan };
  }

  async update(files: Iterable<string>, options?: UpdateOptions): Promise<LoaderUpdate> {
    const update = await this.prepareUpdate(files, options);
    if (update.outcome !== 'updated') return update;
    update.commit();
    await update.finalize();
    return update;
  }

  accept(file: string, owner: string): () => void {
    const path = resolvePath(file);
    const node = this.graph.get(path);
    if (node) node.acceptedBy = owner;
    this.#owners.set(path, owner);
    return () => {
      this.#owners.delete(path);
      const current = this.graph.get(path);
      if (current?.acceptedBy === owner) current.acceptedBy = undefined;
    };
  }

  readonly #owners = new Map<string, string>();

  ownerOf(file: string): string | undefined {
    return this.#owners.get(file);
  }

  unroot(file: string): void {
    const node = this.graph.get(resolvePath(file));
    if (node) node.root = false;
  }

  has(file: string): boolean {
    return this.graph.has(resolvePath(file));
  }

  namespace(file: string): Record<string, unknown> | undefined {
    return this.graph.get(resolvePath(file))?.live?.ns as Record<string, unknown> | undefined;
  }

  data(file: string): Record<string, unknown> | undefined {
    return this.graph.get(resolvePath(file))?.data;
  }

  source(file: string): string | undefined {
    return this.graph.get(resolvePath(file))?.record?.source;
  }

  generation(file: string): number {
    return this.graph.get(resolvePath(file))?.live?.generation ?? 0;
  }

  files(): string[] {
    return [...this.graph.keys()];
  }

  on(event: string, listener: (payload: unknown) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(event);
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    const release = await this.#acquire();
    this.#closed = true;
    try {
      for (const node of [...this.graph.values()].reverse()) {
        const live = node.live;
        if (!live) continue;
        for (const callback of live.hot?.disposeCallbacks ?? []) {
          try {
            await callback(node.data);
          } catch {}
        }
        await live.scope.dispose();
        node.live = undefined;
      }
      this.graph.clear();
      this.#listeners.clear();
    } finally {
      release();
    }
  }

  /** Native `import()` of a URL, cached by URL and attributes. */
  importNative(url: string, attributes: Record<string, string>): Promise<object> {
    const key = attributes.type ? `${url}\0${attributes.type}` : url;
    let pending = this.#natives.get(key);
    if (!pending) {
      pending = (
        Object.keys(attributes).length > 0 ? import(url, { with: attributes }) : import(url)
      ) as Promise<object>;
      // A failed import is not cached: the package may be installed by the next attempt.
      pending.catch(() => this.#natives.delete(key));
      this.#natives.set(key, pending);
    }
    return pending;
  }

  /** The `import()` of one instance's code. */
  dynamicImport(
    instance: ModuleInstance,
  ): (specifier: unknown, options?: unknown) => Promise<unknown> {
    return async (specifier, options) => {
      const resolved = this.resolver.resolve(String(specifier), instance.node.file);
      if (resolved.kind === 'native') {
        const attributes = ((options as { with?: Record<string, string> } | undefined)?.with ??
          {}) as Record<string, string>;
        return this.importNative(resolved.url, attributes);
      }
      const staging = instance.staging as Staging | null;
      if (staging) {
        // Imported while its importer is being evaluated in an update: part of the same update.
        const target = withHotCompiles(() => staging.load(resolved.file));
        await staging.loadNatives();
        staging.link();
        staging.instantiate();
        await staging.evaluate(target);
        instance.dynamicDeps.add(target.node);
        return target.ns;
      }
      const node = this.graph.get(resolved.file);
      const target = node?.live ?? (await this.#importApp(resolved.file));
      if (instance.node.live === instance && !instance.dynamicDeps.has(target.node)) {
        instance.dynamicDeps.add(target.node);
        if (!target.node.importers.has(instance.node))
          target.node.importers.set(instance.node, 'dynamic');
      }
      return target.ns;
    };
  }

  async #importApp(file: string): Promise<ModuleInstance> {
    this.#assertOpen();
    const existing = this.graph.get(file)?.live;
    if (existing) return existing;
    const release = await this.#acquire();
    const again = this.graph.get(file)?.live;
    if (again) {
      release();
      return again;
    }
    const staging = new Staging(this, new Set(), new Map());
    let instance: ModuleInstance;
    try {
      instance = withHotCompiles(() => staging.load(file));
      await staging.loadNatives();
      staging.link();
      staging.instantiate();
      await staging.evaluate(instance);
    } catch (err) {
      await this.#abandon(staging);
      release();
      this.#emit('error', { err: serializeError(err) });
      throw err;
    }
    const host = { graph: this.graph, emit: (e: string, p: unknown) => this.#emit(e, p), release };
    const load = new LoaderUpdate({ host, outcome: 'updated', staging, silent: true });
    load.commit();
    await load.finalize();
    return instance;
  }

  async #abandon(staging: Staging): Promise<void> {
    await staging.discard();
  }

  #failed(files: Set<string>, err: unknown): void {
    for (const file of files) this.#pending.add(file);
    this.#emit('error', { err: serializeError(err) });
  }

  /** Releases the lock, then reports invalidations the update's modules asked for. */
  #afterUpdate(release: () => void): () => void {
    return () => {
      release();
      if (this.#invalidations.length > 0) queueMicrotask(() => this.#flushInvalidations());
    };
  }

  #flushInvalidations(): void {
    const requests = this.#invalidations.splice(0);
    for (const { instance, message } of requests) {
      const importers = [...instance.node.importers.keys()].map((n) => n.file);
      this.#options.onInvalidate?.({ file: instance.node.file, importers, message });
    }
  }

  /** Emits a loader event under both its Vite and hotswap names. */
  #emit(base: string, payload: unknown): void {
    this.#dispatch(`vite:${base}`, payload);
    this.#dispatch(`hotswap:${base}`, payload);
    this.#dispatch(base, payload);
  }

  #dispatch(event: string, payload: unknown): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(payload);
      } catch {
        // A listener's failure must not break an update; it is the listener's own bug.
      }
    }
  }

  #acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.#lock;
    this.#lock = previous.then(() => next);
    let released = false;
    return previous.then(() => () => {
      if (released) return;
      released = true;
      release();
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('the loader is closed');
  }
}

function restartError(reason: NonNullable<ReturnType<typeof propagate>['restart']>): HotswapError {
  const chain = reason.chain.map((n) => n.file).join(' → ');
  if (reason.code === 'HS_ERR_LOADER_DECLINED') {
    return new HotswapError(
      'HS_ERR_LOADER_DECLINED',
      `${reason.node.file} declined hot updates; a restart is required (${chain})`,
      {
        location: { file: reason.node.file, line: 1, column: 1 },
      },
    );
  }
  return new HotswapError(
    'HS_ERR_LOADER_NO_BOUNDARY',
    `no module accepts the change to ${reason.changed.file}; ${reason.node.file} needs a restart (${chain})`,
    {
      location: { file: reason.node.file, line: 1, column: 1 },
      hint: 'call import.meta.hot.accept() in a module on the import chain to update in place',
    },
  );
}
