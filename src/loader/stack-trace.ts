/**
 * Stack traces of hot code point at the original `.ts` file, line and column.
 *
 * Node applies inline source maps only to code it loads itself; registering a map for every
 * version through its CommonJS path keeps each version alive (measured: ~146 KB per reload on
 * Node 20). So hot code is compiled under a unique script name per version, and an
 * `Error.prepareStackTrace` hook maps the frames of those scripts through the version's own maps.
 * A version's entry is dropped when its compiled function is garbage-collected.
 */
import type { ModuleTrace, Position } from './source-map.js';

interface Entry {
  file: string;
  /** Held weakly: the compiled version's record owns its trace, and a replaced version's goes with it. */
  trace: WeakRef<ModuleTrace>;
}

const entries = new Map<string, Entry>();
const cleanup = new FinalizationRegistry<string>((filename) => {
  const entry = entries.get(filename);
  if (entry && entry.trace.deref() === undefined) entries.delete(filename);
});
let installed = false;

/** Registers the maps of one compiled version under its unique script name. */
export function registerTrace(filename: string, file: string, trace: ModuleTrace): void {
  entries.set(filename, { file, trace: new WeakRef(trace) });
  cleanup.register(trace, filename);
  install();
}

/** Number of versions whose maps are still alive (a leak check for tests). */
export function registeredTraceCount(): number {
  let alive = 0;
  for (const entry of entries.values()) if (entry.trace.deref() !== undefined) alive++;
  return alive;
}

/** The original position of a frame in hot code, or undefined for any other frame. */
export function mapFrame(
  filename: string | null | undefined,
  line: number | null,
  column: number | null,
): (Position & { file: string }) | undefined {
  if (!filename || line === null || column === null) return undefined;
  const entry = entries.get(filename);
  const trace = entry?.trace.deref();
  if (!entry || !trace) return undefined;
  const position = trace.fromCompiled({ line, column });
  return position && { file: entry.file, ...position };
}

function install(): void {
  if (installed) return;
  installed = true;
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = function prepareHotStackTrace(error, callSites) {
    const mapped = entries.size === 0 ? callSites : callSites.map(mapCallSite);
    if (previous) return previous(error, mapped);
    return formatStack(error, mapped);
  };
}

function formatStack(error: Error, callSites: NodeJS.CallSite[]): string {
  let header: string;
  try {
    header = Error.prototype.toString.call(error);
  } catch {
    header = '<error>';
  }
  return callSites.length === 0 ? header : `${header}\n    at ${callSites.join('\n    at ')}`;
}

function mapCallSite(site: NodeJS.CallSite): NodeJS.CallSite {
  const position = mapFrame(site.getFileName(), site.getLineNumber(), site.getColumnNumber());
  if (!position) return site;
  const location = `${position.file}:${position.line}:${position.column}`;
  // Every other question is answered by the real call site.
  return new Proxy(site, {
    get(target, key) {
      switch (key) {
        case 'getFileName':
        case 'getScriptNameOrSourceURL':
          return () => position.file;
        case 'getLineNumber':
          return () => position.line;
        case 'getColumnNumber':
          return () => position.column;
        case 'toString':
          return () => describeCallSite(target, location);
        default: {
          const value = Reflect.get(target, key) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        }
      }
    },
  });
}

/** V8's own frame text, with `location` in place of the compiled script's position. */
function describeCallSite(site: NodeJS.CallSite, location: string): string {
  const isAsync = site.isAsync?.() ?? false;
  const isPromiseAll = site.isPromiseAll?.() ?? false;
  if (isPromiseAll)
    return `${isAsync ? 'async ' : ''}Promise.all (index ${site.getPromiseIndex?.() ?? 0})`;
  const prefix = isAsync ? 'async ' : '';
  const functionName = site.getFunctionName();
  if (site.isConstructor()) return `${prefix}new ${functionName ?? '<anonymous>'} (${location})`;
  if (!site.isToplevel()) {
    const typeName = safeTypeName(site);
    const methodName = site.getMethodName();
    let name: string;
    if (functionName) {
      name =
        typeName && !functionName.startsWith(typeName)
          ? `${typeName}.${functionName}`
          : functionName;
      if (methodName && !functionName.endsWith(`.${methodName}`) && functionName !== methodName) {
        name += ` [as ${methodName}]`;
      }
    } else {
      name = `${typeName ?? '<anonymous>'}.${methodName ?? '<anonymous>'}`;
    }
    return `${prefix}${name} (${location})`;
  }
  return functionName ? `${prefix}${functionName} (${location})` : `${prefix}${location}`;
}

function safeTypeName(site: NodeJS.CallSite): string | null {
  try {
    return site.getTypeName();
  } catch {
    return null;
  }
}
