/**
 * Compiles a transformed module with `vm.compileFunction`, the one evaluation path measured flat
 * across thousands of reloads (ARCHITECTURE.md): `new Function`, `vm.Script` and re-imported ES
 * modules keep every version alive. On Node 22 and later V8's compilation cache also keeps each
 * compiled source alive (about the size of the source per reload, measured 145 KB a reload of a
 * 100 KB module), so hot code is compiled with that cache off — only for these calls, the rest of
 * the process keeps it.
 */

import v8 from 'node:v8';
import vm from 'node:vm';
import type { ModuleTrace } from './source-map.js';
import { registerTrace } from './stack-trace.js';

/** The generator a module instance runs: first `next()` instantiates, the second evaluates. */
export type ModuleGenerator =
  | Generator<undefined, void, undefined>
  | AsyncGenerator<undefined, void, undefined>;

/** What the compiled body returns: called once per instance. */
export type ModuleFunction = (
  exports: (getters: Record<string, () => unknown>) => void,
  imports: readonly { ns: object }[],
  meta: object,
  dynamicImport: (specifier: unknown, options?: unknown) => Promise<unknown>,
) => ModuleGenerator;

const cacheDisabledByUser = [
  ...process.execArgv,
  ...(process.env.NODE_OPTIONS ?? '').split(/\s+/),
].some((arg) => arg === '--no-compilation-cache');

let compiled = 0;
/** Depth of {@link withHotCompiles} calls: the cache is switched once for a whole load pass. */
let batchDepth = 0;

/**
 * Runs `fn` (synchronous: no other code can compile meanwhile) with V8's compilation cache off,
 * so every compile in it skips the cache without switching the flag per module (measured: 40 µs
 * a switch, 80 ms of a 1000-module cold load).
 */
export function withHotCompiles<T>(fn: () => T): T {
  if (cacheDisabledByUser || batchDepth > 0) {
    batchDepth++;
    try {
      return fn();
    } finally {
      batchDepth--;
    }
  }
  v8.setFlagsFromString('--no-compilation-cache');
  batchDepth++;
  try {
    return fn();
  } finally {
    batchDepth--;
    v8.setFlagsFromString('--compilation-cache');
  }
}

/**
 * Compiles `code` (from `transformModule`) for the module at `url`. Each compile gets its own
 * script name (`file:///app/x.ts?v=7`), so frames of two live versions of one file map through
 * their own maps.
 */
export function compileModule(
  code: string,
  file: string,
  url: string,
  trace: ModuleTrace,
): ModuleFunction {
  const filename = `${url}?v=${++compiled}`;
  const outer = withHotCompiles(
    () => vm.compileFunction(code, [], { filename }) as () => ModuleFunction,
  );
  const fn = outer();
  registerTrace(filename, file, trace);
  return fn;
}
