import { describe, expect, it } from 'vitest';
import { codeFrame, lineColumnAt } from './frame.js';

describe('code frames', () => {
  it('shows numbered lines around the error with a caret under the column', () => {
    const text = 'one\ntwo\nthree: x\nfour\nfive\nsix';
    expect(codeFrame(text, 3, 8)).toBe(
      [
        '  1 | one',
        '  2 | two',
        '> 3 | three: x',
        '    |        ^',
        '  4 | four',
        '  5 | five',
      ].join('\n'),
    );
  });

  it('masks each shown line', () => {
    const frame = codeFrame('token: abc\nb: 1', 2, 1, { mask: (l) => l.replace('abc', '***') });
    expect(frame).not.toContain('abc');
    expect(frame).toContain('token: ***');
  });

  it('converts offsets to 1-based line and column', () => {
    expect(lineColumnAt('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumnAt('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});
