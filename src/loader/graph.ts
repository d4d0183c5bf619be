/**
 * The module graph: one node per app file, stable across versions. A node points at its live
 * instance; edges and binding cells are derived from live instances and change only at commit.
 */
import type { ModuleFunction } from './compile.js';
import { fileUrl } from './file-url.js';
import type { ModuleInstance } from './instance.js';
import type { JsonModule, TransformedModule } from './transform.js';

/**
 * A binding cell: how an importer reads a dependency. Importer code reads `cell.ns.name`; commit
 * re-points the cells of importers that were not re-evaluated at the dependency's new namespace,
 * which is what makes an accepted update visible through existing imports (live bindings).
 */
export interface Cell {
  ns: object;
}

/** One compiled version of a file's source. Reused while the source does not change. */
export interface ModuleRecord {
  source: string;
  module: TransformedModule | JsonModule;
  /** Compiled generator factory (absent for JSON). */
  fn: ModuleFunction | undefined;
}

/** How an importer reaches a node. A static edge wins over a dynamic one. */
export type EdgeKind = 'static' | 'dynamic';

/** One app file in the graph. */
export class ModuleNode {
  readonly file: string;
  readonly url: string;
  /** The committed instance; undefined until the first commit. */
  live: ModuleInstance | undefined;
  /** Nodes whose live instance imports this one. */
  readonly importers = new Map<ModuleNode, EdgeKind>();
  /** Cells of live importers, re-pointed at commit. */
  readonly cells = new Set<Cell>();
  /** `import.meta.hot.data`: one object shared by every version of this file. */
  readonly data: Record<string, unknown> = {};
  /** Loaded through `loader.import()`: a change that reaches it unaccepted needs a restart. */
  root = false;
  /** Accepted by an owner outside the graph (a module unit): a boundary for any change. */
  acceptedBy: string | undefined;
  /** The record the live instance was made from (a cache: equal source → same record). */
  record: ModuleRecord | undefined;

  constructor(file: string) {
    this.file = file;
    this.url = fileUrl(file);
  }

  /** Adds the edges and cells of `instance` (it became live). */
  link(instance: ModuleInstance): void {
    instance.deps.forEach((dep, i) => {
      if (!dep) return;
      dep.importers.set(this, 'static');
      dep.cells.add(instance.cells[i]!);
    });
    for (const dep of instance.dynamicDeps)
      if (!dep.importers.has(this)) dep.importers.set(this, 'dynamic');
  }

  /** Removes the edges and cells of `instance` (it stopped being live). */
  unlink(instance: ModuleInstance): void {
    instance.deps.forEach((dep, i) => {
      if (!dep) return;
      dep.importers.delete(this);
      dep.cells.delete(instance.cells[i]!);
    });
    for (const dep of instance.dynamicDeps) dep.importers.delete(this);
  }
}

/** The nodes of one loader, by absolute file path. */
export type Graph = Map<string, ModuleNode>;
