import { describe, expect, it } from 'vitest';
import { formatKeyPath } from './key-path.js';
import { isTextValue, rawView, TreeBuilder, textValue } from './merge.js';
import { parseConfigText } from './parse.js';

describe('merging layers', () => {
  const origin = (name: string) => ({ kind: 'env', name }) as const;

  it('merges objects deeply while arrays, scalars and null replace', () => {
    const b = new TreeBuilder();
    b.mergeTree(
      { llm: { model: 'a', temperature: 0.5 }, tags: ['x', 'y'], db: { host: 'h' }, n: 1 },
      origin('one'),
    );
    b.mergeTree({ llm: { model: 'b' }, tags: ['z'], db: null, n: { deep: true } }, origin('two'));
    expect(b.build().data).toEqual({
      llm: { model: 'b', temperature: 0.5 },
      tags: ['z'],
      db: null,
      n: { deep: true },
    });
  });

  it('remembers which layer wrote each key last', () => {
    const b = new TreeBuilder();
    b.mergeTree({ llm: { model: 'a', temperature: 0.5 } }, origin('one'));
    b.mergeTree({ llm: { model: 'b' } }, origin('two'));
    const origins = b.build().origins;
    expect(origins.get('llm.model')).toEqual(origin('two'));
    expect(origins.get('llm.temperature')).toEqual(origin('one'));
    expect(origins.get(formatKeyPath(['llm']))).toEqual(origin('two'));
  });

  it('never lets a __proto__ key reach a prototype', () => {
    const parsed = parseConfigText(
      '/c.json',
      'json',
      '{"__proto__": {"polluted": true}, "a": {"__proto__": {"x": 1}}}',
    );
    const b = new TreeBuilder();
    b.mergeTree(parsed.kind === 'tree' ? parsed.data : {}, { kind: 'file', parsed });
    b.mergeTree({ a: { b: 1 } }, origin('x'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(b.build().data)).toEqual(['a']);
  });

  it('keeps typed strings as leaves, with their readings in order', () => {
    const b = new TreeBuilder();
    b.mergeTree({ llm: { temperature: 0.5 } }, origin('one'));
    b.set(['llm', 'temperature'], textValue('0.9', origin('APP_X')), origin('APP_X'));
    const copy = new TreeBuilder(b.build()); // copying a tree must keep text values intact
    const leaf = (copy.build().data.llm as Record<string, unknown>).temperature;
    expect(isTextValue(leaf)).toBe(true);
    expect(isTextValue(leaf) && leaf.candidates).toEqual(['0.9', 0.9]);
    expect(textValue('gpt-4', origin('x')).candidates).toEqual(['gpt-4']);
    expect(textValue('"quoted"', origin('x')).candidates).toEqual(['"quoted"', 'quoted']);
    expect(rawView(copy.build().data)).toEqual({ llm: { temperature: '0.9' } });
  });
});
