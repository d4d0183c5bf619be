import { describe, expect, it } from 'vitest';
import { mapEnv } from './env.js';

describe('environment variables', () => {
  it('maps PREFIX_A__B to a.b, spelling keys as the files or schema do, else camelCase', () => {
    const entries = mapEnv(
      {
        APP_LLM__MODEL: 'gpt',
        APP_LLM__API_KEY: 'k',
        APP_LLM__MAX_TOKENS: '5',
        APP_DB__POOL_SIZE: '3',
        APP_NEW_THING: 'x',
        OTHER: 'ignored',
        APP_: 'empty',
        APP_A____B: 'empty key',
      },
      {
        prefix: 'APP_',
        data: { llm: { max_tokens: 1 } },
        schemaKeys: { llm: { apiKey: {} }, db: { poolSize: {} } },
      },
    );
    expect(entries.map((e) => [e.name, e.keys.join('.'), e.raw])).toEqual([
      ['APP_NEW_THING', 'newThing', 'x'],
      ['APP_DB__POOL_SIZE', 'db.poolSize', '3'],
      ['APP_LLM__API_KEY', 'llm.apiKey', 'k'],
      ['APP_LLM__MAX_TOKENS', 'llm.max_tokens', '5'],
      ['APP_LLM__MODEL', 'llm.model', 'gpt'],
    ]);
  });

  it('keeps unprefixed names whole for .env files', () => {
    const entries = mapEnv({ APP_A: '1', B__C: '2' }, { prefix: 'APP_', keepUnprefixed: true });
    expect(entries.map((e) => e.keys.join('.'))).toEqual(['a', 'b.c']);
  });
});
