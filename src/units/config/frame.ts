/**
 * Code frames for config errors: a few numbered lines around a position, with a caret under
 * the column. Lines that hold a secret are masked before they are shown (see `secrets.ts`).
 */

/** Options of {@link codeFrame}. */
export interface CodeFrameOptions {
  /** Lines shown above and below the error line. @default 2 */
  context?: number;
  /** Rewrites each shown line before it is printed (secret masking). */
  mask?: (line: string) => string;
}

/**
 * Renders lines around `line`:`column` (both 1-based) of `text`.
 * @example
 * codeFrame('a: 1\nb: x\n', 2, 4);
 * //   1 | a: 1
 * // > 2 | b: x
 * //     |    ^
 */
export function codeFrame(
  text: string,
  line: number,
  column: number,
  options: CodeFrameOptions = {},
): string {
  const lines = text.split(/\r?\n/);
  const context = options.context ?? 2;
  const first = Math.max(1, line - context);
  const last = Math.min(lines.length, line + context);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const raw = (lines[n - 1] ?? '').replace(/\t/g, ' ');
    const shown = options.mask ? options.mask(raw) : raw;
    const gutter = `${n === line ? '>' : ' '} ${String(n).padStart(width)} |`;
    out.push(shown === '' ? gutter : `${gutter} ${shown}`);
    if (n === line) out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, column - 1))}^`);
  }
  return out.join('\n');
}

/** Converts a 0-based UTF-16 offset into a 1-based line and column. */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}
