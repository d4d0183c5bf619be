/**
 * One evaluated version of a module: its namespace, its binding cells, its `import.meta`, its
 * hot context and its scope. Instances are created off to the side (staged) and become live only
 * when their update commits.
 */
import { dirname } from 'node:path';
import { createScope, type Scope } from '../scope.js';
import type { ModuleGenerator } from './compile.js';
import type { Cell, ModuleNode, ModuleRecord } from './graph.js';
import type { HotContext } from './hot-context.js';

/** Lifecycle of an instance. */
export type InstanceStatus = 'linked' | 'instantiated' | 'evaluating' | 'evaluated' | 'errored';

/** Where a binding really lives, for ambiguity checks of `export *`. */
export interface BindingTarget {
  instance: ModuleInstance | object;
  name: string;
}

let instances = 0;

/** One version of one module. */
export class ModuleInstance {
  readonly id = ++instances;
  readonly node: ModuleNode;
  readonly record: ModuleRecord;
  /** Generation of this file: 1 for the first version. */
  readonly generation: number;
  /** The module namespace object (what `import * as ns` and `import()` see). */
  readonly ns: Record<string | symbol, unknown>;
  /** One cell per static request, index = request index. */
  readonly cells: Cell[] = [];
  /** The app node behind each request, or null for a native module. */
  readonly deps: (ModuleNode | null)[] = [];
  /** App nodes this version imported with `import()`. */
  readonly dynamicDeps = new Set<ModuleNode>();
  /** What this version started: timers, listeners, hot listeners. Disposed with the version. */
  readonly scope: Scope;
  readonly meta: Record<string, unknown>;
  status: InstanceStatus = 'linked';
  generator: ModuleGenerator | undefined;
  /** Pending async evaluation (top-level await). */
  evaluation: Promise<void> | undefined;
  /** Export names, computed at link time. */
  exportNames: Set<string> | undefined;
  /** Names exported by more than one `export *` source: importing them is a link error. */
  ambiguous: Set<string> | undefined;
  hot!: HotContext;
  /** The update this instance was staged in; null once committed. */
  staging: object | null;

  constructor(node: ModuleNode, record: ModuleRecord, generation: number, staging: object) {
    this.node = node;
    this.record = record;
    this.generation = generation;
    this.staging = staging;
    this.scope = createScope(`${node.file}@${generation}`);
    this.ns = Object.create(null) as Record<string | symbol, unknown>;
    Object.defineProperty(this.ns, Symbol.toStringTag, { value: 'Module' });
    this.meta = {
      url: node.url,
      filename: node.file,
      dirname: dirname(node.file),
    };
  }

  /** Defines one export of the namespace as a live getter. */
  defineExport(name: string, get: () => unknown): void {
    if (Object.hasOwn(this.ns, name)) return;
    Object.defineProperty(this.ns, name, { get, enumerable: true, configurable: false });
  }

  /** Freezes the shape of the namespace once every export is defined, as ESM does. */
  seal(): void {
    Object.preventExtensions(this.ns);
  }
}
