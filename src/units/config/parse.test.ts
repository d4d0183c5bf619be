import { describe, expect, it } from 'vitest';
import { type HotswapError, isHotswapError } from '../../errors.js';
import { formatOf, type ParsedTree, parseConfigText } from './parse.js';

function parseError(fn: () => unknown): HotswapError {
  try {
    fn();
  } catch (err) {
    if (isHotswapError(err, 'HS_ERR_CONFIG_PARSE')) return err;
    throw err;
  }
  throw new Error('expected a parse error');
}

describe('parsing config files', () => {
  it('tells formats by name', () => {
    expect(
      [
        'a.yaml',
        'a.yml',
        'a.json',
        'a.jsonc',
        'a.json5',
        'a.toml',
        '.env',
        '.env.local',
        'prod.env',
        'a.ini',
      ].map(formatOf),
    ).toEqual(['yaml', 'yaml', 'json', 'json', 'json', 'toml', 'env', 'env', 'env', undefined]);
  });

  it('parses each format into the same tree', async () => {
    const want = { llm: { model: 'gpt', temperature: 0.5 }, tags: ['a', 'b'] };
    const texts = {
      yaml: 'llm:\n  model: gpt\n  temperature: 0.5\ntags: [a, b]\n',
      json: '{ "llm": { "model": "gpt", "temperature": 0.5 }, "tags": ["a", "b"] }',
      toml: 'tags = ["a", "b"]\n[llm]\nmodel = "gpt"\ntemperature = 0.5\n',
    } as const;
    for (const [format, text] of Object.entries(texts)) {
      const parsed = parseConfigText(`/c.${format}`, format as 'yaml', text) as ParsedTree;
      expect(parsed.data, format).toEqual(want);
    }
    const jsonc = parseConfigText(
      '/c.jsonc',
      'json',
      '// comment\n{ llm: { model: \'gpt\', /* x */ temperature: .5, }, tags: ["a", "b",], }',
    );
    expect((jsonc as ParsedTree).data).toEqual(want);
    const env = parseConfigText('/.env', 'env', '# c\nA=1\nexport B="two words"\n');
    expect(env.kind === 'env' && env.vars).toEqual({ A: '1', B: 'two words' });
    const empty = parseConfigText('/e.yaml', 'yaml', '# only a comment\n');
    expect((empty as ParsedTree).data).toEqual({});
    const bom = parseConfigText('/b.json', 'json', '\uFEFF{"a":1}');
    expect((bom as ParsedTree).data).toEqual({ a: 1 });
  });

  it('places YAML errors at line and column with a frame', () => {
    const err = parseError(() =>
      parseConfigText('/app/c.yaml', 'yaml', 'a: 1\nb: [1, 2\nc: 3\n', { display: 'c.yaml' }),
    );
    expect(err.message).toMatch(/^cannot parse c\.yaml: /);
    expect(err.location?.file).toBe('/app/c.yaml');
    expect(err.location?.line).toBeGreaterThanOrEqual(2);
    expect(err.frame).toContain('b: [1, 2');
  });

  it('reports duplicate YAML keys', () => {
    const err = parseError(() => parseConfigText('/c.yaml', 'yaml', 'a: 1\na: 2\n'));
    expect(err.message).toMatch(/unique/);
    expect(err.location).toMatchObject({ line: 2, column: 1 });
  });

  it('places JSON5 and TOML errors, without the parser echoing source lines in the message', () => {
    const json = parseError(() => parseConfigText('/c.json', 'json', '{\n  "a": 1,\n  "b": ?\n}'));
    expect(json.location).toMatchObject({ line: 3, column: 8 });
    expect(json.message).toBe("cannot parse /c.json: invalid character '?'");
    const toml = parseError(() =>
      parseConfigText('/c.toml', 'toml', 'token = "sk-123"\nb = "x\n', {
        mask: (l) => l.replace('sk-123', '***'),
      }),
    );
    expect(toml.location?.line).toBe(2);
    expect(toml.message).not.toContain('\n');
    expect(toml.message).not.toContain('sk-123');
    expect(toml.frame).toContain('***');
    expect(toml.frame).not.toContain('sk-123');
  });

  it('refuses a top level that is not a mapping', () => {
    expect(parseError(() => parseConfigText('/c.yaml', 'yaml', '- a\n- b\n')).message).toMatch(
      /not a list/,
    );
    expect(parseError(() => parseConfigText('/c.json', 'json', '"x"')).message).toMatch(
      /not a string/,
    );
  });

  it('bounds YAML alias expansion', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
    ].join('\n');
    expect(parseError(() => parseConfigText('/c.yaml', 'yaml', bomb)).message).toMatch(/alias/i);
  });

  it('locates keys in YAML and the JSON family, and variables in .env files', async () => {
    const yaml = parseConfigText(
      '/c.yaml',
      'yaml',
      'llm:\n  model: x\nlist:\n  - a\n  - b\n',
    ) as ParsedTree;
    expect(await yaml.locate(['llm', 'model'])).toEqual({ line: 2, column: 3 });
    expect(await yaml.locate(['list', '1'])).toEqual({ line: 5, column: 5 });
    expect(await yaml.locate(['llm', 'missing'])).toEqual({ line: 1, column: 1 });
    const json = parseConfigText(
      '/c.json5',
      'json',
      '// head\n{\n  llm: {\n    "model": "x", // c\n  },\n}',
    ) as ParsedTree;
    expect(await json.locate(['llm', 'model'])).toEqual({ line: 4, column: 5 });
    const toml = parseConfigText('/c.toml', 'toml', 'a = 1') as ParsedTree;
    expect(await toml.locate(['a'])).toBeUndefined();
    const env = parseConfigText('/.env', 'env', 'A=1\n  export B=2\nA=3\n');
    expect(env.kind === 'env' && [env.locateVar('A'), env.locateVar('B')]).toEqual([
      { line: 3, column: 1 },
      { line: 2, column: 10 }, // the name, after "export "
    ]);
  });
});
