/**
 * Source text of one app file → what the evaluator runs. TypeScript and JSX are stripped by
 * oxc-transform in-process (about 0.06 ms a module, see ARCHITECTURE.md); plain JavaScript goes
 * straight to the rewriter. Nothing here touches the live graph.
 */
import { extname } from 'node:path';
import { type JsxOptions, transformSync } from 'oxc-transform';
import { HotswapError } from '../errors.js';
import { type RewriteResult, rewriteModule } from './rewrite.js';
import {
  codeFrame,
  lineStarts,
  ModuleTrace,
  type Position,
  positionAt,
  type RawSourceMap,
} from './source-map.js';

/** A module request with its position in the original file. */
export interface LocatedRequest {
  specifier: string;
  attributes: Record<string, string>;
  /** Imported names (`default`, a name, `*`) → where each is imported. */
  names: Map<string, Position>;
  /** Where the specifier is written. */
  position: Position;
}

/** A module ready to compile. */
export interface TransformedModule {
  kind: 'esm';
  /** Body for `compile.ts`. */
  code: string;
  requests: LocatedRequest[];
  localExports: string[];
  reExports: { exported: string; imported: string; request: number; position: Position }[];
  starExports: number[];
  hasTopLevelAwait: boolean;
  trace: ModuleTrace;
}

/** A JSON file: its value is the default export. */
export interface JsonModule {
  kind: 'json';
  value: unknown;
}

const typescript = new Set(['.ts', '.mts']);
const javascript = new Set(['.js', '.mjs']);

/** File extensions the loader evaluates itself. */
export const moduleExtensions: readonly string[] = [
  '.ts',
  '.tsx',
  '.mts',
  '.js',
  '.jsx',
  '.mjs',
  '.json',
];

/** Options passed through to oxc-transform. */
export interface TransformOptions {
  /** JSX runtime settings (oxc `jsx` option). @default automatic runtime, `react` import source */
  jsx?: JsxOptions;
  /** Legacy (`experimentalDecorators`) decorators. @default false */
  legacyDecorators?: boolean;
  /** With legacy decorators: emit design-type metadata (`emitDecoratorMetadata`). @default false */
  emitDecoratorMetadata?: boolean;
  /** Keep every import that is not marked `type` (`verbatimModuleSyntax`). @default false (TS elision) */
  onlyRemoveTypeImports?: boolean;
}

const target = `node${process.versions.node.split('.')[0]}`;

/**
 * Transforms one file. Throws `HS_ERR_LOADER_SYNTAX` (with location and code frame) when the
 * source does not parse; `HS_ERR_LOADER_UNSUPPORTED` for a file type it cannot run.
 */
export function transformModule(
  file: string,
  source: string,
  options: TransformOptions = {},
): TransformedModule | JsonModule {
  const ext = extname(file);
  if (ext === '.json') return transformJson(file, source);
  if (!moduleExtensions.includes(ext)) {
    throw new HotswapError(
      'HS_ERR_LOADER_UNSUPPORTED',
      `cannot load ${file}: unsupported file type "${ext}"`,
      {
        hint: `the loader runs ${moduleExtensions.join(' ')} files`,
      },
    );
  }

  let js = source;
  let strippedMap: RawSourceMap | undefined;
  if (!javascript.has(ext)) {
    const out = transformSync(file, source, {
      sourcemap: true,
      target,
      lang: ext === '.tsx' ? 'tsx' : ext === '.jsx' ? 'jsx' : typescript.has(ext) ? 'ts' : 'js',
      sourceType: 'module',
      ...(options.jsx === undefined ? {} : { jsx: options.jsx }),
      ...(options.legacyDecorators
        ? {
            decorator: {
              legacy: true,
              emitDecoratorMetadata: options.emitDecoratorMetadata ?? false,
            },
          }
        : {}),
      ...(options.onlyRemoveTypeImports ? { typescript: { onlyRemoveTypeImports: true } } : {}),
    });
    const error = out.errors.find((e) => e.severity === 'Error');
    if (error) {
      const position = positionAt(lineStarts(source), error.labels[0]?.start ?? 0);
      throw syntaxError(file, source, error.message, position);
    }
    js = out.code;
    strippedMap = out.map as RawSourceMap | undefined;
  }

  const rewritten: RewriteResult = rewriteModule(js, file);
  const trace = new ModuleTrace(strippedMap, rewritten.map);
  const jsStarts = lineStarts(js);
  const locate = (offset: number): Position => trace.fromStripped(positionAt(jsStarts, offset));

  const firstError = rewritten.errors[0];
  if (firstError) throw syntaxError(file, source, firstError.message, locate(firstError.start));

  return {
    kind: 'esm',
    code: rewritten.code,
    requests: rewritten.requests.map((r) => ({
      specifier: r.specifier,
      attributes: r.attributes,
      position: locate(r.start),
      names: new Map([...r.names].map(([name, offset]) => [name, locate(offset)])),
    })),
    localExports: rewritten.localExports,
    reExports: rewritten.reExports.map((r) => ({
      exported: r.exported,
      imported: r.imported,
      request: r.request,
      position: locate(r.start),
    })),
    starExports: rewritten.starExports,
    hasTopLevelAwait: rewritten.hasTopLevelAwait,
    trace,
  };
}

function transformJson(file: string, source: string): JsonModule {
  try {
    return { kind: 'json', value: JSON.parse(source) };
  } catch (err) {
    // V8 says "... at position N" (Node 20) or "(line L column C)" (Node 22+).
    const message = (err as Error).message;
    const at = /position (\d+)/.exec(message);
    const lc = /line (\d+) column (\d+)/.exec(message);
    const position = lc
      ? { line: Number(lc[1]), column: Number(lc[2]) }
      : positionAt(lineStarts(source), at ? Number(at[1]) : 0);
    throw syntaxError(file, source, message, position);
  }
}

function syntaxError(
  file: string,
  source: string,
  message: string,
  position: Position,
): HotswapError {
  return new HotswapError(
    'HS_ERR_LOADER_SYNTAX',
    `${file}:${position.line}:${position.column}: SyntaxError: ${message}`,
    {
      location: { file, ...position },
      frame: codeFrame(source, position),
    },
  );
}
