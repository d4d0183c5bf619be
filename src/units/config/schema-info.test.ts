import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { schemaInfo } from './schema-info.js';

describe('schema info', () => {
  it('reads secret marks and declared keys from a Standard JSON Schema (zod)', () => {
    const schema = z.object({
      llm: z.object({ apiKey: z.string().meta({ secret: true }), model: z.string() }),
      db: z.record(z.string(), z.object({ dsn: z.string().meta({ writeOnly: true }) })),
      users: z.array(z.object({ pin: z.string().meta({ format: 'password' }) })),
    });
    const info = schemaInfo(schema);
    expect(info.secretPaths.sort()).toEqual(['db["*"].dsn', 'llm.apiKey', 'users["*"].pin']);
    expect(info.keys).toEqual({ llm: { apiKey: {}, model: {} }, db: {}, users: {} });
  });

  it('is empty for schemas without a JSON form', () => {
    expect(schemaInfo(v.object({ a: v.string() }))).toEqual({ secretPaths: [], keys: {} });
    expect(schemaInfo(undefined)).toEqual({ secretPaths: [], keys: {} });
    expect(schemaInfo(z.object({ d: z.date() }))).toEqual({ secretPaths: [], keys: {} });
  });
});
