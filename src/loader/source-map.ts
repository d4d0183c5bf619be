/**
 * Positions in the user's original file. A module goes through up to two transforms (oxc strips
 * TypeScript, the rewriter turns ESM into a generator body); each keeps a source map, and a
 * generated position is traced back through both. Maps are parsed only when an error needs them.
 */
import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping';

/** A source map as oxc and magic-string produce it. */
export interface RawSourceMap {
  version: number;
  sources: string[];
  names: string[];
  mappings: string;
  file?: string;
  sourcesContent?: (string | null)[];
}

/** 1-based line, 1-based column. */
export interface Position {
  line: number;
  column: number;
}

/** Start offsets of every line of `text`. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

/** The 1-based line and column of a UTF-16 offset. */
export function positionAt(starts: readonly number[], offset: number): Position {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid]! <= offset) low = mid;
    else high = mid - 1;
  }
  return { line: low + 1, column: offset - starts[low]! + 1 };
}

function trace(map: TraceMap, position: Position): Position | undefined {
  const found = originalPositionFor(map, { line: position.line, column: position.column - 1 });
  if (found.line === null || found.column === null) return undefined;
  return { line: found.line, column: found.column + 1 };
}

/**
 * Traces positions of one compiled module version back to its original file.
 * `stripped` maps the JavaScript the rewriter read back to the original (absent for plain JS);
 * `rewritten` maps the compiled body back to that JavaScript.
 */
export class ModuleTrace {
  readonly #stripped: RawSourceMap | undefined;
  #rewritten: (() => RawSourceMap) | undefined;
  #strippedTrace: TraceMap | undefined;
  #rewrittenTrace: TraceMap | undefined;

  constructor(stripped: RawSourceMap | undefined, rewritten: () => RawSourceMap) {
    this.#stripped = stripped;
    this.#rewritten = rewritten;
  }

  /** A position in the JavaScript the rewriter read → the original file. */
  fromStripped(position: Position): Position {
    if (!this.#stripped) return position;
    this.#strippedTrace ??= new TraceMap(
      this.#stripped as ConstructorParameters<typeof TraceMap>[0],
    );
    return trace(this.#strippedTrace, position) ?? position;
  }

  /** A position in the compiled body (a stack frame) → the original file. */
  fromCompiled(position: Position): Position | undefined {
    if (!this.#rewrittenTrace) {
      if (!this.#rewritten) return undefined;
      this.#rewrittenTrace = new TraceMap(
        this.#rewritten() as ConstructorParameters<typeof TraceMap>[0],
      );
      // The map is generated once; the closure over the rewriter's state can go.
      this.#rewritten = undefined;
    }
    const inStripped = trace(this.#rewrittenTrace, position);
    return inStripped && this.fromStripped(inStripped);
  }
}

/** Widest line a code frame shows, in characters. */
const FRAME_WIDTH = 120;

/**
 * A code frame: the lines around `position` with a caret under the column.
 * @example
 *   3 | export function boom(): number {
 * > 4 |   throw new Error('boom');
 *     |   ^
 *   5 | }
 */
export function codeFrame(source: string, position: Position, context = 2): string {
  const lines = source.split(/\r?\n/);
  const first = Math.max(1, position.line - context);
  const last = Math.min(lines.length, position.line + context);
  const width = String(last).length;
  const out: string[] = [];
  // Long lines (minified code, a 100 KB literal) are clipped to a window around the column.
  const start = Math.max(0, position.column - 1 - FRAME_WIDTH / 2);
  const windowOf = (text: string): number =>
    Math.min(start, Math.max(0, text.length - FRAME_WIDTH));
  const clip = (text: string): string => {
    if (text.length <= FRAME_WIDTH) return text;
    const from = windowOf(text);
    const head = from > 0 ? '…' : '';
    const tail = from + FRAME_WIDTH < text.length ? '…' : '';
    return `${head}${text.slice(from, from + FRAME_WIDTH)}${tail}`;
  };
  for (let n = first; n <= last; n++) {
    const text = (lines[n - 1] ?? '').replace(/\t/g, '  ');
    const marker = n === position.line ? '>' : ' ';
    out.push(`${marker} ${String(n).padStart(width)} | ${clip(text)}`.trimEnd());
    if (n === position.line) {
      let caret = (lines[n - 1] ?? '')
        .slice(0, Math.max(0, position.column - 1))
        .replace(/\t/g, '  ').length;
      if (text.length > FRAME_WIDTH) {
        const from = windowOf(text);
        caret = caret - from + (from > 0 ? 1 : 0);
      }
      out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, caret))}^`);
    }
  }
  return out.join('\n');
}
