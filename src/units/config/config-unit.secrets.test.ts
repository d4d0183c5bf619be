import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { serializeError } from '../../errors.js';
import { createConfig } from './config-unit.js';
import { REDACTED } from './secrets.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hs-config-secrets-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const SECRETS = {
  apiKey: 'sk-live-AAAA1111', // marked by the `secrets` option
  apiKey2: 'sk-live-AAAA2222',
  password: 'hunter2-BBBB', // marked by its key name
  signing: 'whsec-CCCC', // marked in the schema
  override: 'sk-override-DDDD',
  env: 'env-pass-EEEE',
  tomlToken: 'toml-token-FFFF',
};

const schema = z.object({
  llm: z.object({
    model: z.string(),
    // Echoes its input in the message, as some libraries do.
    apiKey: z
      .string()
      .refine((v) => v.startsWith('sk-'), { error: (iss) => `not a key: ${String(iss.input)}` }),
  }),
  db: z.object({ host: z.string(), password: z.string() }),
  webhook: z.object({ signing: z.string().meta({ secret: true }) }),
});

const yaml = (model: string, apiKey: string, signing = SECRETS.signing) =>
  [
    'llm:',
    `  model: ${model}`,
    `  apiKey: ${apiKey}`,
    'db:',
    '  host: db.internal',
    `  password: ${SECRETS.password}`,
    'webhook:',
    `  signing: ${signing}`,
    '',
  ].join('\n');

describe('config secrets', () => {
  it('never shows a secret in reports, logs, diffs, snapshots, status or errors', async () => {
    const outputs: string[] = [];
    const logs: string[] = [];
    const file = join(dir, 'config.yaml');
    writeFileSync(file, yaml('m0', SECRETS.apiKey));
    const config = createConfig({
      files: ['config.yaml', { path: 'extra.toml', optional: true }],
      cwd: dir,
      env: false,
      schema,
      secrets: ['llm.apiKey'],
      envPrefix: 'APP_',
      envVars: { APP_DB__PASSWORD: SECRETS.env },
      log: pino({ level: 'trace' }, { write: (line: string) => logs.push(line) }),
    });
    const out = (value: unknown) => outputs.push(JSON.stringify(value));
    const fail = async (p: Promise<unknown>) => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeDefined();
      const e = err as Error & { frame?: string };
      outputs.push(e.message, e.frame ?? '', e.stack ?? '', JSON.stringify(serializeError(err)));
    };

    out(await config.load());
    config.on('**', () => {});
    writeFileSync(file, yaml('m1', SECRETS.apiKey2));
    out(await config.reload()); // diff of a secret
    out(await config.setOverride('llm.apiKey', SECRETS.override));
    writeFileSync(file, yaml('m2', SECRETS.apiKey));
    out(await config.reload({ validateOnly: true }));

    // A value that fails validation and is echoed by the schema's message.
    writeFileSync(file, yaml('m3', SECRETS.apiKey));
    await fail(config.setOverride('llm.apiKey', 'xx-not-a-key-GGGG'));
    // A YAML syntax error right next to secret lines: the frame shows them, masked.
    writeFileSync(file, yaml('[unclosed', SECRETS.apiKey));
    await fail(config.reload());
    // A TOML syntax error on the secret's own line.
    writeFileSync(file, yaml('m4', SECRETS.apiKey));
    writeFileSync(join(dir, 'extra.toml'), `[db]\npassword = "${SECRETS.tomlToken}\n`);
    await fail(config.reload());
    rmSync(join(dir, 'extra.toml'));

    out(await config.rollback(1));
    out(config.snapshots());
    out(config.status());
    out(config.redacted());
    out(config.overrides === undefined ? '' : Object.keys(config.overrides));

    const everything = [...outputs, ...logs].join('\n');
    for (const secret of [...Object.values(SECRETS), 'xx-not-a-key-GGGG']) {
      expect(everything, secret).not.toContain(secret);
    }
    // Not vacuous: the outputs do show the config, with secrets replaced.
    expect(everything).toContain(REDACTED);
    expect(everything).toContain('m1');
    expect(everything).toContain('db.internal');
    expect(logs.some((l) => l.includes('configuration reloaded'))).toBe(true);
    expect(logs.some((l) => l.includes('configuration not reloaded'))).toBe(true);
    // Code still gets the real values.
    expect(config.current.llm.apiKey).toBe(SECRETS.apiKey2);
    expect(config.current.db.password).toBe(SECRETS.env);
  });
});
