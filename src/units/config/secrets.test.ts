import { describe, expect, it } from 'vitest';
import {
  createSecretPolicy,
  defaultSecretPattern,
  REDACTED,
  redactText,
  snakeKey,
} from './secrets.js';

describe('secrets', () => {
  it('recognises secret-looking key names, and not look-alikes', () => {
    const secret = (k: string) => defaultSecretPattern.test(snakeKey(k));
    for (const k of [
      'password',
      'dbPass',
      'PASSWD',
      'clientSecret',
      'secrets',
      'authToken',
      'token',
      'apiKey',
      'api_key',
      'API-KEY',
      'privateKey',
      'accessKey',
      'credentials',
    ]) {
      expect(secret(k), k).toBe(true);
    }
    for (const k of [
      'maxTokens',
      'tokenLimit',
      'passenger',
      'compass',
      'model',
      'keyboard',
      'monkey',
    ]) {
      expect(secret(k), k).toBe(false);
    }
  });

  it('redacts by name, by option path or glob, and whole subtrees', () => {
    const policy = createSecretPolicy({ paths: ['llm.key', 'db.*.dsn'] });
    const value = {
      llm: { key: 'k-1', model: 'm', auth: { password: 'p' } },
      db: { main: { dsn: 'postgres://u:p@h', pool: 3 } },
      secrets: { a: 'x', b: ['y'] },
    };
    expect(policy.redact(value)).toEqual({
      llm: { key: REDACTED, model: 'm', auth: { password: REDACTED } },
      db: { main: { dsn: REDACTED, pool: 3 } },
      secrets: REDACTED,
    });
    expect(policy.valuesIn(value)).toEqual(expect.arrayContaining(['postgres://u:p@h', 'k-1']));
    expect(policy.valuesIn(value)).not.toContain('m');
  });

  it('can turn name matching off', () => {
    const policy = createSecretPolicy({ pattern: false });
    expect(policy.isSecret(['password'])).toBe(false);
  });

  it('masks secret lines of any format in frames, and known secret strings anywhere', () => {
    const policy = createSecretPolicy({ paths: ['llm.key'] });
    expect(policy.maskLine('  apiKey: sk-1', [])).toBe(`  apiKey: ${REDACTED}`);
    expect(policy.maskLine('"password": "hunter2",', [])).toBe(`"password": ${REDACTED}`);
    expect(policy.maskLine('api_key = "x"', [])).toBe(`api_key = ${REDACTED}`);
    expect(policy.maskLine('export APP_LLM__API_KEY=abc', [])).toBe(
      `export APP_LLM__API_KEY=${REDACTED}`,
    );
    expect(policy.maskLine('  key: k-9', [])).toBe(`  key: ${REDACTED}`);
    expect(policy.maskLine('  model: sk-secret-9', ['sk-secret-9'])).toBe(`  model: ${REDACTED}`);
    expect(policy.maskLine('  model: gpt', [])).toBe('  model: gpt');
    expect(redactText('a sk-1 b sk-1', ['sk-1'])).toBe(`a ${REDACTED} b ${REDACTED}`);
  });
});
