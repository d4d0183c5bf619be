/**
 * A staging area: new module instances built beside the live graph. Loading, linking,
 * instantiating and evaluating all happen here; nothing live changes until the update that owns
 * the staging commits. A failure at any step is thrown as a located `HotswapError` and the
 * staging is discarded.
 */
import { readFileSync } from 'node:fs';
import { HotswapError, isHotswapError } from '../errors.js';
import { compileModule } from './compile.js';
import {
  type Cell,
  type Graph,
  type ModuleNode,
  type ModuleRecord,
  ModuleNode as Node,
} from './graph.js';
import { HotContext, type HotHost } from './hot-context.js';
import { ModuleInstance } from './instance.js';
import type { Resolver } from './resolve.js';
import {
  codeFrame,
  lineStarts,
  type ModuleTrace,
  type Position,
  positionAt,
} from './source-map.js';
import { mapFrame } from './stack-trace.js';
import { type TransformOptions, transformModule } from './transform.js';

/** What a staging needs from its loader. */
export interface StagingHost {
  readonly graph: Graph;
  readonly resolver: Resolver;
  readonly hotHost: HotHost;
  readonly transformOptions: TransformOptions;
  /** Native `import()` of a URL, cached. */
  importNative(url: string, attributes: Record<string, string>): Promise<object>;
  /** The owner (module unit) that accepts changes of `file`, if any. */
  ownerOf(file: string): string | undefined;
  /** The `import()` function given to one instance's code. */
  dynamicImport(
    instance: ModuleInstance,
  ): (specifier: unknown, options?: unknown) => Promise<unknown>;
}

type NativeTarget = { native: object; url: string };
type Target = ModuleInstance | NativeTarget;

/** New instances for one update, not yet live. */
export class Staging {
  readonly #host: StagingHost;
  /** Staged instance of each node that gets one. */
  readonly instances = new Map<ModuleNode, ModuleInstance>();
  /** Nodes that do not exist in the graph yet (added at commit). */
  readonly newNodes = new Map<string, ModuleNode>();
  /** Live nodes that must be re-instantiated. */
  readonly invalidated: ReadonlySet<ModuleNode>;
  /** File contents already read by the planner (read once: last write wins). */
  readonly #sources: Map<string, string>;
  readonly #natives = new Map<ModuleInstance, Map<number, string>>();
  readonly #nativeNs = new Map<ModuleInstance, Map<number, object>>();
  readonly #linked = new Set<ModuleInstance>();
  /** The module being processed when the last error was thrown (for partial updates). */
  failingModule: string | undefined;

  constructor(
    host: StagingHost,
    invalidated: ReadonlySet<ModuleNode>,
    sources: Map<string, string>,
  ) {
    this.#host = host;
    this.invalidated = invalidated;
    this.#sources = sources;
  }

  /** The node of `file`: from the graph, or new to this staging. */
  node(file: string): ModuleNode {
    let node = this.#host.graph.get(file) ?? this.newNodes.get(file);
    if (!node) {
      node = new Node(file);
      node.acceptedBy = this.#host.ownerOf(file);
      this.newNodes.set(file, node);
    }
    return node;
  }

  /** The instance importers see for `node` in this staging: the staged one, else the live one. */
  target(node: ModuleNode): ModuleInstance | undefined {
    return this.instances.get(node) ?? node.live;
  }

  /**
   * Loads `file` and everything it imports that is not live already (or is invalidated),
   * depth first in import order. Synchronous: files are small and the order is deterministic.
   */
  load(file: string): ModuleInstance {
    const node = this.node(file);
    const staged = this.instances.get(node);
    if (staged) return staged;
    if (node.live && !this.invalidated.has(node)) return node.live;

    this.failingModule = node.file;
    const record = this.#recordFor(node);
    const generation = (node.live?.generation ?? 0) + 1;
    const instance = new ModuleInstance(node, record, generation, this);
    this.instances.set(node, instance);
    if (record.module.kind === 'json') return instance;

    const natives = new Map<number, string>();
    record.module.requests.forEach((request, i) => {
      let resolved: ReturnType<Resolver['resolve']>;
      try {
        resolved = this.#host.resolver.resolve(request.specifier, node.file, request.position);
      } catch (err) {
        throw isHotswapError(err) && !err.frame
          ? new HotswapError(err.code, err.message, {
              location: err.location,
              frame: codeFrame(record.source, request.position),
              cause: err.cause,
            })
          : err;
      }
      if (resolved.kind === 'native') {
        instance.deps[i] = null;
        natives.set(i, resolved.url);
      } else {
        instance.deps[i] = this.node(resolved.file);
        this.load(resolved.file);
      }
    });
    if (natives.size > 0) this.#natives.set(instance, natives);
    return instance;
  }

  /** Imports the native modules the staged instances need (packages, builtins). */
  async loadNatives(): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const [instance, natives] of this.#natives) {
      const loaded = new Map<number, object>();
      this.#nativeNs.set(instance, loaded);
      for (const [i, url] of natives) {
        const request = (
          instance.record.module as {
            requests: {
              attributes: Record<string, string>;
              position: Position;
              specifier: string;
            }[];
          }
        ).requests[i]!;
        pending.push(
          this.#host.importNative(url, request.attributes).then(
            (ns) => void loaded.set(i, ns),
            (err: unknown) => {
              throw locatedError(
                'HS_ERR_LOADER_RESOLVE',
                `cannot import '${request.specifier}': ${(err as Error)?.message ?? err}`,
                instance,
                request.position,
                err,
              );
            },
          ),
        );
      }
    }
    this.#natives.clear();
    const results = await Promise.allSettled(pending);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Wires binding cells and checks every import against the export names of its target,
   * as ESM linking does. Also checks live importers that keep their version against the new
   * export names of what they import. Throws `HS_ERR_LOADER_LINK`.
   */
  link(): void {
    const fresh = [...this.instances.values()].filter((i) => !this.#linked.has(i));
    for (const instance of fresh) {
      this.#linked.add(instance);
      if (instance.record.module.kind === 'json') continue;
      const natives = this.#nativeNs.get(instance);
      instance.deps.forEach((dep, i) => {
        const ns = dep ? this.target(dep)!.ns : natives?.get(i);
        instance.cells[i] = { ns: ns ?? Object.create(null) } satisfies Cell;
      });
    }
    for (const instance of fresh) {
      this.failingModule = instance.node.file;
      this.#checkImports(instance);
    }
    for (const instance of fresh) {
      this.failingModule = instance.node.file;
      if (instance.node.live) this.#checkLiveImporters(instance);
    }
    this.failingModule = undefined;
  }

  /** Creates each fresh instance's generator and defines its namespace (hoisted exports usable). */
  instantiate(): void {
    for (const instance of this.instances.values()) {
      if (instance.status !== 'linked') continue;
      const module = instance.record.module;
      if (module.kind === 'json') {
        const value = module.value;
        instance.defineExport('default', () => value);
        instance.exportNames = new Set(['default']);
        instance.seal();
        instance.hot = new HotContext(instance, this.#host.hotHost);
        instance.status = 'evaluated';
        continue;
      }
      const hot = new HotContext(instance, this.#host.hotHost);
      instance.hot = hot;
      instance.meta.hot = hot;
      instance.meta.resolve = (specifier: string): string => {
        const resolved = this.#host.resolver.resolve(String(specifier), instance.node.file);
        return resolved.kind === 'app' ? new Node(resolved.file).url : resolved.url;
      };
      let getters: Record<string, () => unknown> = {};
      const generator = instance.record.fn!(
        (g) => {
          getters = g;
        },
        instance.cells,
        instance.meta,
        this.#host.dynamicImport(instance),
      );
      instance.generator = generator;
      const first = generator.next();
      // An async generator answers with a promise; its body up to `yield` already ran.
      if (first instanceof Promise) first.catch(() => {});
      this.#defineNamespace(instance, getters);
      instance.status = 'instantiated';
    }
  }

  /** Evaluates `instance` after its staged dependencies, in import order, like ESM. */
  evaluate(instance: ModuleInstance): void | Promise<void> {
    if (instance.status === 'evaluated') return;
    // A module being evaluated is an ancestor in a cycle: ESM does not wait for it either.
    if (instance.status === 'evaluating') return;
    if (instance.status === 'errored') throw (instance as { error?: unknown }).error;
    instance.status = 'evaluating';
    const deps = instance.deps
      .filter((dep): dep is ModuleNode => dep !== null)
      .map((dep) => this.instances.get(dep));
    const fail = (err: unknown): never => {
      this.failingModule ??= instance.node.file;
      instance.status = 'errored';
      const error = isHotswapError(err) ? err : evaluationError(instance, err);
      (instance as { error?: unknown }).error = error;
      throw error;
    };
    const run = (from: number): void | Promise<void> => {
      for (let i = from; i < deps.length; i++) {
        const dep = deps[i];
        if (!dep || dep.status === 'evaluated') continue;
        const pending = this.evaluate(dep);
        if (pending) return pending.then(() => run(i + 1));
      }
      const step = instance.generator!.next();
      if (step instanceof Promise) {
        return step.then(() => {
          instance.status = 'evaluated';
        });
      }
      instance.status = 'evaluated';
    };
    try {
      const pending = run(0);
      if (pending) {
        instance.evaluation = pending.catch(fail);
        return instance.evaluation;
      }
    } catch (err) {
      fail(err);
    }
  }

  /** Tears down every staged instance: their scopes, and their dispose callbacks with throwaway data. */
  async discard(): Promise<unknown[]> {
    const errors: unknown[] = [];
    for (const instance of [...this.instances.values()].reverse()) {
      if (instance.status === 'linked') continue;
      const scratch: Record<string, unknown> = {};
      for (const callback of instance.hot?.disposeCallbacks ?? []) {
        try {
          await callback(scratch);
        } catch (err) {
          errors.push(err);
        }
      }
      errors.push(...(await instance.scope.dispose()).errors);
    }
    this.instances.clear();
    this.newNodes.clear();
    return errors;
  }

  #recordFor(node: ModuleNode): ModuleRecord {
    let source = this.#sources.get(node.file);
    if (source === undefined) {
      try {
        source = readFileSync(node.file, 'utf8');
      } catch (err) {
        throw new HotswapError(
          'HS_ERR_LOADER_RESOLVE',
          `${node.file}: cannot read: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
      this.#sources.set(node.file, source);
    }
    if (node.record && node.record.source === source) return node.record;
    const module = transformModule(node.file, source, this.#host.transformOptions);
    if (module.kind === 'json') return { source, module, fn: undefined };
    try {
      return { source, module, fn: compileModule(module.code, node.file, node.url, module.trace) };
    } catch (err) {
      throw compileError(node.file, source, err, module.trace);
    }
  }

  #exportNames(target: Target, visiting = new Set<Target>()): Set<string> {
    if (!(target instanceof ModuleInstance)) return new Set(Object.keys(target.native));
    if (target.exportNames) return target.exportNames;
    const module = target.record.module;
    if (module.kind === 'json') return new Set(['default']);
    const names = new Set<string>([
      ...module.localExports,
      ...module.reExports.map((r) => r.exported),
    ]);
    if (visiting.has(target)) return names;
    visiting.add(target);
    const ambiguous = new Set<string>();
    const fromStar = new Map<string, { provider: number; binding: string }>();
    for (const request of module.starExports) {
      const dep = this.#requestTarget(target, request);
      if (!dep) continue;
      for (const name of this.#exportNames(dep, visiting)) {
        if (name === 'default' || names.has(name)) continue;
        const binding = this.#bindingKey(dep, name, new Set());
        const seen = fromStar.get(name);
        if (!seen) fromStar.set(name, { provider: request, binding });
        else if (seen.binding !== binding) ambiguous.add(name);
      }
    }
    for (const name of fromStar.keys()) if (!ambiguous.has(name)) names.add(name);
    target.exportNames = names;
    target.ambiguous = ambiguous;
    (target as { starProviders?: Map<string, number> }).starProviders = new Map(
      [...fromStar].filter(([name]) => !ambiguous.has(name)).map(([name, s]) => [name, s.provider]),
    );
    return names;
  }

  /** A string identifying where a binding really lives (for `export *` ambiguity). */
  #bindingKey(target: Target, name: string, seen: Set<string>): string {
    if (!(target instanceof ModuleInstance)) return `${target.url}#${name}`;
    const key = `${target.id}#${name}`;
    if (seen.has(key)) return key;
    seen.add(key);
    const module = target.record.module;
    if (module.kind === 'json' || module.localExports.includes(name)) return key;
    const re = module.reExports.find((r) => r.exported === name);
    if (re) {
      const dep = this.#requestTarget(target, re.request);
      return dep
        ? re.imported === '*'
          ? `${key}*`
          : this.#bindingKey(dep, re.imported, seen)
        : key;
    }
    for (const request of module.starExports) {
      const dep = this.#requestTarget(target, request);
      if (dep && this.#exportNames(dep).has(name)) return this.#bindingKey(dep, name, seen);
    }
    return key;
  }

  #requestTarget(instance: ModuleInstance, request: number): Target | undefined {
    const dep = instance.deps[request];
    if (dep) return this.target(dep);
    const ns = this.#nativeNs.get(instance)?.get(request) ?? instance.cells[request]?.ns;
    const module = instance.record.module;
    const url = module.kind === 'esm' ? (module.requests[request]?.specifier ?? '') : '';
    return ns ? { native: ns, url } : undefined;
  }

  #checkImports(instance: ModuleInstance): void {
    const module = instance.record.module;
    if (module.kind === 'json') return;
    module.requests.forEach((request, i) => {
      const target = this.#requestTarget(instance, i);
      if (!target) return;
      const names = this.#exportNames(target);
      const ambiguous = target instanceof ModuleInstance ? target.ambiguous : undefined;
      for (const [name, position] of request.names) {
        if (name === '*') continue;
        if (ambiguous?.has(name)) {
          throw linkError(
            instance,
            position,
            `The requested module '${request.specifier}' contains conflicting star exports for name '${name}'`,
          );
        }
        if (!names.has(name)) {
          throw linkError(
            instance,
            position,
            `The requested module '${request.specifier}' does not provide an export named '${name}'`,
          );
        }
      }
    });
    this.#exportNames(instance);
  }

  /** Importers that keep their version still need every name they import from `instance`. */
  #checkLiveImporters(instance: ModuleInstance): void {
    const names = this.#exportNames(instance);
    for (const [importerNode, kind] of instance.node.importers) {
      if (kind !== 'static' || this.instances.has(importerNode)) continue;
      const importer = importerNode.live;
      if (!importer || importer.record.module.kind === 'json') continue;
      importer.record.module.requests.forEach((request, i) => {
        if (importer.deps[i] !== instance.node) return;
        for (const [name, position] of request.names) {
          if (name !== '*' && !names.has(name)) {
            throw linkError(
              importer,
              position,
              `The requested module '${request.specifier}' no longer provides an export named '${name}' (changed in ${instance.node.file})`,
            );
          }
        }
      });
    }
  }

  #defineNamespace(instance: ModuleInstance, getters: Record<string, () => unknown>): void {
    const module = instance.record.module;
    if (module.kind === 'json') return;
    const names = [...this.#exportNames(instance)].sort();
    const providers = (instance as { starProviders?: Map<string, number> }).starProviders;
    for (const name of names) {
      const local = getters[name];
      if (local) {
        instance.defineExport(name, local);
        continue;
      }
      const re = module.reExports.find((r) => r.exported === name);
      if (re) {
        const cell = instance.cells[re.request]!;
        const imported = re.imported;
        if (imported === '*') instance.defineExport(name, () => cell.ns);
        else instance.defineExport(name, () => (cell.ns as Record<string, unknown>)[imported]);
        continue;
      }
      const provider = providers?.get(name);
      if (provider !== undefined) {
        const cell = instance.cells[provider]!;
        instance.defineExport(name, () => (cell.ns as Record<string, unknown>)[name]);
      }
    }
    instance.seal();
  }
}

function linkError(instance: ModuleInstance, position: Position, message: string): HotswapError {
  return locatedError('HS_ERR_LOADER_LINK', `SyntaxError: ${message}`, instance, position);
}

function locatedError(
  code: 'HS_ERR_LOADER_LINK' | 'HS_ERR_LOADER_RESOLVE',
  message: string,
  instance: ModuleInstance,
  position: Position,
  cause?: unknown,
): HotswapError {
  return new HotswapError(
    code,
    `${instance.node.file}:${position.line}:${position.column}: ${message}`,
    {
      location: { file: instance.node.file, ...position },
      frame: codeFrame(instance.record.source, position),
      cause,
    },
  );
}

/** Where in app code an error was thrown: the first stack frame in a hot module, mapped. */
function thrownAt(err: unknown, preferFile: string): (Position & { file: string }) | undefined {
  if (!(err instanceof Error) || typeof err.stack !== 'string') return undefined;
  const frames: (Position & { file: string })[] = [];
  for (const line of err.stack.split('\n')) {
    const match = /\(?((?:\/|[A-Za-z]:\\|file:)[^():]*?(?:\?v=\d+)?):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!match) continue;
    const [, file, l, c] = match;
    const mapped = mapFrame(file, Number(l), Number(c));
    frames.push(mapped ?? { file: file!, line: Number(l), column: Number(c) });
  }
  return frames.find((f) => f.file === preferFile) ?? frames[0];
}

function evaluationError(instance: ModuleInstance, err: unknown): HotswapError {
  const file = instance.node.file;
  const at = thrownAt(err, file);
  const message = err instanceof Error ? `${err.name}: ${err.message}` : `threw ${String(err)}`;
  const where = at ? `${at.file}:${at.line}:${at.column}` : file;
  const context = at && at.file === file ? '' : ` (while evaluating ${file})`;
  let frame: string | undefined;
  if (at) {
    const source = at.file === file ? instance.record.source : readSafe(at.file);
    if (source !== undefined) frame = codeFrame(source, at);
  }
  return new HotswapError('HS_ERR_LOADER_EVALUATE', `${where}: ${message}${context}`, {
    location: at ?? { file, line: 1, column: 1 },
    ...(frame === undefined ? {} : { frame }),
    cause: err,
  });
}

function compileError(
  file: string,
  source: string,
  err: unknown,
  trace: ModuleTrace,
): HotswapError {
  const match = /\?v=\d+:(\d+)/.exec(String((err as Error)?.stack ?? ''));
  const compiled = match ? { line: Number(match[1]), column: 1 } : undefined;
  const position = (compiled && trace.fromCompiled(compiled)) ?? positionAt(lineStarts(source), 0);
  return new HotswapError(
    'HS_ERR_LOADER_SYNTAX',
    `${file}:${position.line}:${position.column}: ${String(err)}`,
    {
      location: { file, ...position },
      frame: codeFrame(source, position),
      cause: err,
    },
  );
}

function readSafe(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
