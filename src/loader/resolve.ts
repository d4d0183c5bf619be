/**
 * Specifier → what to load. App files (under the root, outside node_modules, a type the loader
 * evaluates) go through the hot graph; everything else — builtins, packages, files elsewhere —
 * is imported natively, so it is the very instance a native `import` gets and is never reloaded.
 *
 * Bare specifiers are resolved exactly as Node's ESM resolver does (`import-meta-resolve`, a port
 * of it), with the `import` condition: a dual package resolves to the same entry as a native
 * import would. Relative specifiers follow what TypeScript users write: `./x.js` finds `./x.ts`,
 * and extensionless `./x` finds `./x.ts`, `./x/index.ts`, and so on.
 */
import { statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { extname, isAbsolute, resolve as resolvePath, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolve as esmResolve } from 'import-meta-resolve';
import { HotswapError } from '../errors.js';
import { fileUrl } from './file-url.js';
import type { Position } from './source-map.js';
import { moduleExtensions } from './transform.js';

/** Where a specifier leads. */
export type Resolved = { kind: 'app'; file: string } | { kind: 'native'; url: string };

const jsToTs: Record<string, string[]> = {
  '.js': ['.ts', '.tsx'],
  '.jsx': ['.tsx'],
  '.mjs': ['.mts'],
};
const probeExtensions = ['.ts', '.tsx', '.mts', '.js', '.jsx', '.mjs', '.json'];
const hotExtensions = new Set(moduleExtensions);

/** Resolves specifiers for one loader root. Results are cached until {@link clear}. */
export class Resolver {
  readonly root: string;
  readonly #rootPrefix: string;
  readonly #files = new Map<string, string>();
  readonly #misses = new Set<string>();
  readonly #bare = new Map<string, Resolved>();

  constructor(root: string) {
    this.root = resolvePath(root);
    this.#rootPrefix = this.root.endsWith(sep) ? this.root : this.root + sep;
  }

  /** Forgets file lookups (files were added or removed); package lookups stay. */
  clear(): void {
    this.#files.clear();
    this.#misses.clear();
  }

  /** Forgets lookups that found nothing: the file may exist by now. */
  forgetMisses(): void {
    this.#misses.clear();
  }

  /** Whether `file` is one the loader evaluates itself. */
  isAppFile(file: string): boolean {
    return (
      (file.startsWith(this.#rootPrefix) || file === this.root) &&
      !file.includes(`${sep}node_modules${sep}`) &&
      hotExtensions.has(extname(file))
    );
  }

  /**
   * Resolves `specifier` imported from `parentFile`. Throws `HS_ERR_LOADER_RESOLVE` naming the
   * importer and, when given, where in it the import is written.
   */
  resolve(specifier: string, parentFile: string, at?: Position): Resolved {
    if (isBuiltin(specifier))
      return {
        kind: 'native',
        url: specifier.startsWith('node:') ? specifier : `node:${specifier}`,
      };
    if (specifier.startsWith('data:')) return { kind: 'native', url: specifier };

    let path: string | undefined;
    if (
      specifier.startsWith('./') ||
      specifier.startsWith('../') ||
      specifier === '.' ||
      specifier === '..'
    ) {
      path = resolvePath(parentFile, '..', specifier);
    } else if (specifier.startsWith('file:')) {
      path = fileURLToPath(specifier);
    } else if (isAbsolute(specifier)) {
      path = specifier;
    }
    if (path !== undefined) {
      const file = this.#findFile(path);
      if (file === null) throw notFound(specifier, parentFile, at);
      return this.isAppFile(file) ? { kind: 'app', file } : { kind: 'native', url: fileUrl(file) };
    }
    return this.#resolvePackage(specifier, parentFile, at);
  }

  #resolvePackage(specifier: string, parentFile: string, at?: Position): Resolved {
    // Helpers the transform injects (legacy decorators) come with hotswap, not with the app.
    if (specifier.startsWith('@oxc-project/runtime/')) parentFile = fileURLToPath(import.meta.url);
    // Package resolution depends on the importer's folder (nested node_modules, package scope).
    const parentDir = resolvePath(parentFile, '..');
    const key = `${parentDir}\0${specifier}`;
    const cached = this.#bare.get(key);
    if (cached) return cached;
    let url: string;
    try {
      url = esmResolve(specifier, fileUrl(parentFile));
    } catch (err) {
      throw notFound(specifier, parentFile, at, err);
    }
    let resolved: Resolved = { kind: 'native', url };
    // Subpath imports (`#lib/x`) are the app's own aliases: they stay hot when they lead home.
    if (specifier.startsWith('#') && url.startsWith('file:')) {
      const file = fileURLToPath(url);
      if (this.isAppFile(file)) resolved = { kind: 'app', file };
    }
    this.#bare.set(key, resolved);
    return resolved;
  }

  #findFile(path: string): string | null {
    const cached = this.#files.get(path);
    if (cached !== undefined) return cached;
    if (this.#misses.has(path)) return null;
    const found = probe(path);
    if (found === null) this.#misses.add(path);
    else this.#files.set(path, found);
    return found;
  }
}

function isFile(path: string): boolean {
  try {
    // No throw for a missing candidate: most probes miss, and an error's stack costs more than
    // the stat itself.
    return statSync(path, { throwIfNoEntry: false })?.isFile() === true;
  } catch {
    return false;
  }
}

function probe(path: string): string | null {
  if (isFile(path)) return path;
  const ext = extname(path);
  for (const alternative of jsToTs[ext] ?? []) {
    const candidate = path.slice(0, -ext.length) + alternative;
    if (isFile(candidate)) return candidate;
  }
  for (const candidate of probeExtensions) if (isFile(path + candidate)) return path + candidate;
  for (const candidate of probeExtensions) {
    const index = `${path}${sep}index${candidate}`;
    if (isFile(index)) return index;
  }
  return null;
}

function notFound(
  specifier: string,
  parentFile: string,
  at: Position | undefined,
  cause?: unknown,
): HotswapError {
  const where = at ? `${parentFile}:${at.line}:${at.column}` : parentFile;
  return new HotswapError('HS_ERR_LOADER_RESOLVE', `${where}: Cannot find module '${specifier}'`, {
    ...(at ? { location: { file: parentFile, ...at } } : {}),
    cause,
  });
}
