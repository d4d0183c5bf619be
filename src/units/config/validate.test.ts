import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isHotswapError } from '../../errors.js';
import { type MergedTree, TreeBuilder, textValue } from './merge.js';
import { parseConfigText } from './parse.js';
import { createSecretPolicy, REDACTED } from './secrets.js';
import { configIssues, resolveAndValidate, type ValidateContext } from './validate.js';

const ctx = (schema: ValidateContext['schema']): ValidateContext => ({
  unit: 'config',
  schema,
  policy: createSecretPolicy(),
  known: [],
  display: (f) => f.slice(1),
});

function treeFromYaml(text: string, extra: (b: TreeBuilder) => void = () => {}): MergedTree {
  const parsed = parseConfigText('/config.yaml', 'yaml', text);
  const b = new TreeBuilder();
  if (parsed.kind === 'tree') b.mergeTree(parsed.data, { kind: 'file', parsed });
  extra(b);
  return b.build();
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: Error) => err,
  );
}

describe('validation', () => {
  const zodSchema = z.object({
    llm: z.object({ model: z.string(), temperature: z.number(), stream: z.boolean() }),
    nick: z.string(),
  });
  const valibotSchema = v.object({
    llm: v.object({ model: v.string(), temperature: v.number(), stream: v.boolean() }),
    nick: v.string(),
  });

  it.each([
    ['zod', zodSchema],
    ['valibot', valibotSchema],
  ])(
    'types strings by the schema with %s: raw first, then the JSON reading',
    async (_name, schema) => {
      const override = (key: string) => ({ kind: 'override', key }) as const;
      const tree = treeFromYaml(
        'llm:\n  model: a\n  temperature: 0.1\n  stream: false\nnick: n\n',
        (b) => {
          b.set(
            ['llm', 'temperature'],
            textValue('0.9', override('llm.temperature')),
            override('llm.temperature'),
          );
          b.set(
            ['llm', 'stream'],
            textValue('true', override('llm.stream')),
            override('llm.stream'),
          );
          b.set(['llm', 'model'], textValue('42', override('llm.model')), override('llm.model'));
          b.set(['nick'], textValue('"007"', override('nick')), override('nick'));
        },
      );
      const { value } = await resolveAndValidate(tree, ctx(schema));
      // "42" stays a string because the schema wants one; "0.9" and "true" become typed.
      expect(value).toEqual({
        llm: { model: '42', temperature: 0.9, stream: true },
        nick: '"007"',
      });
    },
  );

  it('leaves strings as strings without a schema', async () => {
    const tree = treeFromYaml('a: 1\n', (b) =>
      b.set(['a'], textValue('2', { kind: 'env', name: 'A' }), { kind: 'env', name: 'A' }),
    );
    expect((await resolveAndValidate(tree, ctx(undefined))).value).toEqual({ a: '2' });
  });

  it.each([
    ['zod', zodSchema],
    ['valibot', valibotSchema],
  ])(
    'reports every issue at once with %s, each with key path, file:line and frame',
    async (_name, schema) => {
      const tree = treeFromYaml('llm:\n  model: 5\n  temperature: hot\n  stream: false\n');
      const err = await rejection(resolveAndValidate(tree, ctx(schema)));
      expect(isHotswapError(err, 'HS_ERR_CONFIG_INVALID')).toBe(true);
      const issues = configIssues(err);
      expect(issues.map((i) => [i.path, i.source])).toEqual([
        ['llm.model', 'config.yaml:2:3'],
        ['llm.temperature', 'config.yaml:3:3'],
        ['nick', undefined],
      ]);
      expect(issues[1]?.frame).toContain('> 3 |   temperature: hot');
      expect(issues[1]?.location).toEqual({ file: '/config.yaml', line: 3, column: 3 });
      expect(err.message).toContain('(3 issues)');
      expect((err as unknown as { toJSON(): { issues: unknown[] } }).toJSON().issues).toHaveLength(
        3,
      );
    },
  );

  it('names environment variables and overrides as sources, and uses the override code when only overrides are wrong', async () => {
    const schema = z.object({ port: z.number() });
    const envTree = treeFromYaml('port: 1\n', (b) =>
      b.set(['port'], textValue('eighty', { kind: 'env', name: 'APP_PORT' }), {
        kind: 'env',
        name: 'APP_PORT',
      }),
    );
    const envErr = await rejection(resolveAndValidate(envTree, ctx(schema)));
    expect(isHotswapError(envErr, 'HS_ERR_CONFIG_INVALID')).toBe(true);
    expect(configIssues(envErr)[0]?.source).toBe('env APP_PORT');
    const o = { kind: 'override', key: 'port' } as const;
    const overrideTree = treeFromYaml('port: 1\n', (b) =>
      b.set(['port'], textValue('eighty', o), o),
    );
    const overrideErr = await rejection(resolveAndValidate(overrideTree, ctx(schema)));
    expect(isHotswapError(overrideErr, 'HS_ERR_CONFIG_OVERRIDE')).toBe(true);
    expect(configIssues(overrideErr)[0]?.source).toBe('override port');
  });

  it('scrubs secret values from issue messages and frames (valibot echoes the input)', async () => {
    const schema = v.object({
      db: v.object({ password: v.pipe(v.string(), v.minLength(20)), port: v.number() }),
    });
    const tree = treeFromYaml('db:\n  password: hunter2-secret\n  port: "hunter2-secret"\n');
    const err = await rejection(
      resolveAndValidate(tree, { ...ctx(schema), known: ['hunter2-secret'] }),
    );
    const text = JSON.stringify((err as unknown as { toJSON(): unknown }).toJSON());
    expect(text).not.toContain('hunter2');
    expect(text).toContain(REDACTED);
  });
});
