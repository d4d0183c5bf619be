/**
 * One prepared update of the module graph. `commit()` is the only moment live references change
 * and is synchronous, so no request ever sees half an update; `rollback()` undoes it exactly;
 * `finalize()` then retires the old versions (dispose callbacks, scopes, prune) and runs accept
 * callbacks. `discard()` drops an update that was never committed.
 */
import { HotswapError, oneLine } from '../errors.js';
import type { Graph, ModuleNode } from './graph.js';
import type { ModuleInstance } from './instance.js';
import type { Boundary } from './propagate.js';
import type { Staging } from './staging.js';

/** What an update does, as the loader reports it. */
export type UpdateOutcome = 'unchanged' | 'updated' | 'restart-required';

/** What the update needs from its loader. */
export interface UpdateHost {
  readonly graph: Graph;
  emit(event: string, payload: unknown): void;
  /** Called once the update is finished one way or another (releases the loader's lock). */
  release(): void;
}

type State = 'prepared' | 'committed' | 'finalized' | 'discarded' | 'rolled-back';

/** A prepared update of the module graph. */
export class LoaderUpdate {
  readonly outcome: UpdateOutcome;
  /** Files whose content changed. */
  readonly changed: readonly string[];
  /** Every file that gets a new version (changed files and their importers up to a boundary). */
  readonly reevaluated: readonly string[];
  /** Files new to the graph (imported for the first time). */
  readonly added: readonly string[];
  /** Deleted files, whose importers were re-linked without them. */
  readonly removed: readonly string[];
  /** Files that stopped being imported, found at finalize. */
  pruned: string[] = [];
  readonly boundaries: readonly Boundary[];
  /** Why a restart is needed (outcome `restart-required`). */
  readonly restart: HotswapError | undefined;
  /** Parts of a partial update that failed: they keep their last good version. */
  readonly failures: readonly { file: string; error: unknown }[];
  /** Errors of accept/dispose/prune callbacks; the update stays committed. */
  readonly warnings: HotswapError[] = [];
  /** Time spent preparing (read, transform, link, evaluate), in milliseconds. */
  readonly prepareMs: number;
  readonly #host: UpdateHost;
  readonly #staging: Staging | undefined;
  readonly #removedNodes: readonly ModuleNode[];
  readonly #replaced = new Map<ModuleNode, ModuleInstance | undefined>();
  readonly #holds: Promise<unknown>[] = [];
  /** Retirements waiting for {@link holdRetired}'s promises, once finalize found any. */
  #deferred: (() => Promise<void>)[] | undefined;
  /**
   * Resolves once every version this update replaced or pruned is disposed: at the end of
   * {@link finalize}, or later when {@link holdRetired} held them. Never rejects; errors of
   * late dispose callbacks are added to {@link warnings}.
   */
  retired: Promise<void> = Promise.resolve();
  #state: State = 'prepared';
  readonly #silent: boolean;

  constructor(init: {
    host: UpdateHost;
    outcome: UpdateOutcome;
    staging?: Staging;
    changed?: string[];
    removed?: ModuleNode[];
    boundaries?: Boundary[];
    restart?: HotswapError;
    prepareMs?: number;
    /** A first-time load, not an update: no update events. */
    silent?: boolean;
    failures?: { file: string; error: unknown }[];
  }) {
    this.failures = init.failures ?? [];
    this.#silent = init.silent ?? false;
    this.#host = init.host;
    this.outcome = init.outcome;
    this.#staging = init.staging;
    this.changed = init.changed ?? [];
    this.#removedNodes = init.removed ?? [];
    this.removed = this.#removedNodes.map((n) => n.file);
    this.boundaries = init.boundaries ?? [];
    this.restart = init.restart;
    this.prepareMs = init.prepareMs ?? 0;
    const staged = init.staging ? [...init.staging.instances.keys()] : [];
    this.reevaluated = staged.filter((n) => n.live).map((n) => n.file);
    this.added = staged.filter((n) => !n.live).map((n) => n.file);
    if (!init.staging) {
      this.#state = 'finalized';
      init.host.release();
    }
  }

  /** Where the update is in its life. */
  get state(): State {
    return this.#state;
  }

  /** The namespace `file` has after this update (staged if re-evaluated, else live). */
  namespace(file: string): Record<string, unknown> | undefined {
    const node = this.#host.graph.get(file) ?? this.#staging?.newNodes.get(file);
    if (!node) return undefined;
    return (this.#staging?.instances.get(node) ?? node.live)?.ns as
      | Record<string, unknown>
      | undefined;
  }

  /** The source text `file` has after this update (staged if re-evaluated, else live). */
  source(file: string): string | undefined {
    const node = this.#host.graph.get(file) ?? this.#staging?.newNodes.get(file);
    if (!node) return undefined;
    return (this.#staging?.instances.get(node) ?? node.live)?.record.source;
  }

  /** Makes every staged version live at once: nodes, edges and binding cells. Synchronous. */
  commit(): void {
    this.#expect('prepared', 'commit');
    const staging = this.#staging!;
    if (!this.#silent)
      this.#host.emit('beforeUpdate', { type: 'update', updates: this.#payload() });
    for (const [node] of staging.instances) {
      const old = node.live;
      this.#replaced.set(node, old);
      if (old) node.unlink(old);
    }
    for (const [node, instance] of staging.instances) {
      node.live = instance;
      node.record = instance.record;
      instance.staging = null;
      node.link(instance);
    }
    for (const [file, node] of staging.newNodes) this.#host.graph.set(file, node);
    // Importers that keep their version now read the new namespace through their cells.
    for (const [node, old] of this.#replaced)
      if (old) for (const cell of node.cells) cell.ns = node.live!.ns;
    this.#state = 'committed';
  }

  /** Undoes `commit()`: the previous versions are live again, then the staged ones are torn down. */
  async rollback(): Promise<void> {
    this.#expect('committed', 'roll back');
    const staging = this.#staging!;
    for (const [node, instance] of staging.instances) node.unlink(instance);
    for (const [node, old] of this.#replaced) {
      node.live = old;
      node.record = old?.record;
      if (old) node.link(old);
      else this.#host.graph.delete(node.file);
    }
    for (const [node, old] of this.#replaced)
      if (old) for (const cell of node.cells) cell.ns = old.ns;
    for (const instance of staging.instances.values()) instance.staging = staging;
    this.#state = 'rolled-back';
    try {
      await this.#collect(staging.discard(), 'dispose of a rolled-back version');
    } finally {
      this.#host.release();
    }
  }

  /** Drops a prepared update that was never committed. */
  async discard(): Promise<void> {
    if (this.#state !== 'prepared') return;
    this.#state = 'discarded';
    try {
      if (this.#staging)
        await this.#collect(this.#staging.discard(), 'dispose of a discarded version');
    } finally {
      this.#host.release();
    }
  }

  /**
   * Keeps the versions this update replaces or prunes running until `until` settles: their
   * dispose callbacks and scopes wait for it, so work still leased to an owner's previous
   * version (a command in flight) does not see its timers end or its signal abort. Call between
   * commit and finalize; {@link retired} tells when they are gone.
   */
  holdRetired(until: Promise<unknown>): void {
    this.#expect('committed', 'hold retired versions');
    this.#holds.push(until);
  }

  /** Retires old versions (dispose, prune) and runs accept callbacks. Errors become warnings. */
  async finalize(): Promise<void> {
    if (this.#state === 'finalized') return;
    this.#expect('committed', 'finalize');
    this.#state = 'finalized';
    if (this.#holds.length > 0) this.#deferred = [];
    try {
      for (const [node, old] of this.#replaced)
        if (old) await this.#retire(old, node.data, 'dispose');
      await this.#prune();
      await this.#runAcceptCallbacks();
      const deferred = this.#deferred;
      if (deferred) {
        this.retired = Promise.allSettled(this.#holds).then(async () => {
          for (const retire of deferred) await retire();
        });
      }
      if (!this.#silent)
        this.#host.emit('afterUpdate', { type: 'update', updates: this.#payload() });
    } finally {
      this.#host.release();
    }
  }

  async #retire(
    instance: ModuleInstance,
    data: Record<string, unknown>,
    what: string,
  ): Promise<void> {
    if (this.#deferred) {
      this.#deferred.push(() => this.#retireNow(instance, data, what));
      return;
    }
    await this.#retireNow(instance, data, what);
  }

  async #retireNow(
    instance: ModuleInstance,
    data: Record<string, unknown>,
    what: string,
  ): Promise<void> {
    for (const callback of instance.hot?.disposeCallbacks ?? []) {
      try {
        await callback(data);
      } catch (err) {
        this.#warn(instance.node.file, `${what} callback`, err);
      }
    }
    const { errors } = await instance.scope.dispose();
    for (const err of errors) this.#warn(instance.node.file, 'scope disposal', err);
  }

  async #prune(): Promise<void> {
    const candidates: ModuleNode[] = [...this.#removedNodes];
    for (const old of this.#replaced.values())
      for (const dep of old?.deps ?? []) if (dep) candidates.push(dep);
    for (const old of this.#replaced.values())
      for (const dep of old?.dynamicDeps ?? []) candidates.push(dep);
    const seen = new Set<ModuleNode>();
    while (candidates.length > 0) {
      const node = candidates.pop()!;
      if (seen.has(node)) continue;
      seen.add(node);
      const live = node.live;
      if (!live || node.importers.size > 0 || node.root || node.acceptedBy !== undefined) continue;
      if (this.#host.graph.get(node.file) !== node) continue;
      this.#host.emit('beforePrune', { type: 'prune', paths: [node.file] });
      for (const callback of live.hot?.pruneCallbacks ?? []) {
        try {
          await callback(node.data);
        } catch (err) {
          this.#warn(node.file, 'prune callback', err);
        }
      }
      node.unlink(live);
      node.live = undefined;
      this.#host.graph.delete(node.file);
      this.pruned.push(node.file);
      await this.#retire(live, node.data, 'dispose');
      for (const dep of live.deps) if (dep) candidates.push(dep);
      for (const dep of live.dynamicDeps) candidates.push(dep);
    }
  }

  async #runAcceptCallbacks(): Promise<void> {
    for (const boundary of this.boundaries) {
      try {
        if (boundary.kind === 'self') {
          const old = this.#replaced.get(boundary.node);
          const ns = boundary.node.live?.ns;
          for (const callback of old?.hot?.selfAcceptCallbacks ?? [])
            await callback(ns as Record<string, unknown>);
        } else if (boundary.kind === 'deps' && boundary.accept.callback) {
          const nsOf = (file: string) => this.#host.graph.get(file)?.live?.ns;
          const arg = boundary.accept.multiple
            ? boundary.accept.files.map(nsOf)
            : nsOf(boundary.changed.file);
          await boundary.accept.callback(arg);
        }
      } catch (err) {
        this.#warn(boundary.node.file, 'accept callback', err);
      }
    }
  }

  async #collect(pending: Promise<unknown[]>, what: string): Promise<void> {
    for (const err of await pending) this.#warn(undefined, what, err);
  }

  #warn(file: string | undefined, what: string, err: unknown): void {
    this.warnings.push(
      new HotswapError(
        'HS_ERR_LOADER_HOOK',
        `${what}${file ? ` of ${file}` : ''} threw: ${oneLine(err)}`,
        { cause: err },
      ),
    );
  }

  #payload(): { path: string; acceptedPath: string; type: 'js-update'; timestamp: number }[] {
    const timestamp = Date.now();
    return this.boundaries.map((b) => ({
      type: 'js-update' as const,
      path: b.node.file,
      acceptedPath: 'changed' in b ? b.changed.file : b.node.file,
      timestamp,
    }));
  }

  #expect(state: State, action: string): void {
    if (this.#state !== state) throw new Error(`cannot ${action} an update that is ${this.#state}`);
  }
}
