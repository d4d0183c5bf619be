/**
 * Which modules a change invalidates: the changed module and its importers, up to a module that
 * accepts the change (Vite's propagation). A module accepts its own changes with
 * `import.meta.hot.accept()`, a dependency's with `accept(dep, cb)`, and a module owned by a
 * runtime module unit is accepted by that unit. A dynamic `import()` edge is a boundary too: the
 * next `import()` returns the new version. Reaching an entry that accepts nothing, or a module
 * that declined, means the change needs a restart.
 */
import type { ModuleNode } from './graph.js';
import type { DepAccept } from './hot-context.js';

/** A module that takes an update without its importers being re-evaluated. */
export type Boundary =
  | { kind: 'self'; node: ModuleNode }
  | { kind: 'deps'; node: ModuleNode; accept: DepAccept; changed: ModuleNode }
  | { kind: 'owner'; node: ModuleNode; owner: string }
  | { kind: 'dynamic'; node: ModuleNode; changed: ModuleNode };

/** Why a change cannot be applied in place. */
export interface RestartReason {
  code: 'HS_ERR_LOADER_NO_BOUNDARY' | 'HS_ERR_LOADER_DECLINED';
  /** The module where propagation stopped (the entry, or the declining module). */
  node: ModuleNode;
  /** The changed module whose change got there. */
  changed: ModuleNode;
  /** The import chain from the changed module up to `node`. */
  chain: ModuleNode[];
}

/** The result of propagating a set of changes. */
export interface Plan {
  /** Nodes that get a new instance. */
  invalidated: Set<ModuleNode>;
  boundaries: Boundary[];
  restart: RestartReason | undefined;
}

/**
 * Propagates changes. `changed` modules get new versions; `removed` modules (deleted files) do
 * not, their importers are re-evaluated and fail to resolve them, which keeps the last good
 * version live until the file is back or the import is gone.
 */
export function propagate(changed: Iterable<ModuleNode>, removed: Iterable<ModuleNode>): Plan {
  const plan: Plan = { invalidated: new Set(), boundaries: [], restart: undefined };
  const boundaryKeys = new Set<string>();
  const addBoundary = (boundary: Boundary): void => {
    const key = `${boundary.kind}:${boundary.node.file}:${'changed' in boundary ? boundary.changed.file : ''}`;
    if (boundary.kind === 'deps') {
      if (plan.boundaries.some((b) => b.kind === 'deps' && b.accept === boundary.accept)) return;
    } else if (boundaryKeys.has(key)) {
      return;
    }
    boundaryKeys.add(key);
    plan.boundaries.push(boundary);
  };

  // Nodes whose propagation is complete: a DAG with many paths is walked once per node.
  const done = new Set<ModuleNode>();
  const visit = (node: ModuleNode, origin: ModuleNode, chain: ModuleNode[]): boolean => {
    if (plan.restart) return true;
    if (done.has(node)) return false;
    const hot = node.live?.hot;
    if (hot?.declined) {
      plan.restart = { code: 'HS_ERR_LOADER_DECLINED', node, changed: origin, chain };
      return true;
    }
    if (node.acceptedBy !== undefined) {
      plan.invalidated.add(node);
      addBoundary({ kind: 'owner', node, owner: node.acceptedBy });
      done.add(node);
      return false;
    }
    if (hot?.selfAccepting) {
      plan.invalidated.add(node);
      addBoundary({ kind: 'self', node });
      done.add(node);
      return false;
    }
    plan.invalidated.add(node);
    if (node.importers.size === 0) {
      if (node.root) {
        plan.restart = { code: 'HS_ERR_LOADER_NO_BOUNDARY', node, changed: origin, chain };
        return true;
      }
      // Imported by nothing and not an entry (e.g. pruned meanwhile): re-evaluating it is enough.
      return false;
    }
    for (const [importer, kind] of node.importers) {
      if (chain.includes(importer)) continue; // a cycle: the chain is re-evaluated already
      if (kind === 'dynamic') {
        addBoundary({ kind: 'dynamic', node: importer, changed: node });
        continue;
      }
      const accepts =
        importer.live?.hot?.depAccepts.filter((a) => a.files.includes(node.file)) ?? [];
      if (accepts.length > 0) {
        for (const accept of accepts)
          addBoundary({ kind: 'deps', node: importer, accept, changed: node });
        continue;
      }
      if (visit(importer, origin, [...chain, importer])) return true;
    }
    done.add(node);
    return false;
  };

  for (const node of changed) if (visit(node, node, [node])) return plan;
  for (const node of removed) {
    // A deleted file cannot accept its own removal; its importers must re-link without it.
    for (const [importer] of node.importers) {
      if (visit(importer, node, [node, importer])) return plan;
    }
  }
  for (const node of removed) plan.invalidated.delete(node);
  return plan;
}
