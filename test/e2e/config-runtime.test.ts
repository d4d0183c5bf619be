/**
 * The config unit inside a runtime transaction: it reloads with the other units, all at once or
 * not at all. A service that depends on it verifies the new config; when that fails, the
 * config's commit is rolled back and no subscriber hears of it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRuntime, defineUnit } from '../../src/index.js';
import { createConfig } from '../../src/units/config/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hs-config-runtime-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const schema = z.object({ model: z.string(), host: z.string() });
const write = (model: string, host = 'irc.a') =>
  writeFileSync(join(dir, 'config.yaml'), `model: ${model}\nhost: ${host}\n`);

function setup() {
  write('v0');
  const config = createConfig({
    files: ['config.yaml'],
    cwd: dir,
    env: false,
    schema,
    restartRequired: ['host'],
  });
  // A service that reads the config and refuses a model it does not know, after commit.
  const client = defineUnit({
    name: 'client',
    kind: 'service',
    dependsOn: ['config'],
    generation: 0,
    async prepare() {
      return {
        outcome: 'refreshed' as const,
        commit: () => {},
        rollback: () => {},
        discard: () => {},
        verify: () => {
          if (config.current.model === 'unknown') throw new Error('no such model');
        },
      };
    },
    status: () => ({ name: 'client', kind: 'service', generation: 0, state: 'active' }),
  });
  const runtime = createRuntime({ logger: false });
  runtime.add(config);
  runtime.add(client);
  const heard: string[] = [];
  config.on('model', ({ changes }) => {
    heard.push(String(changes[0]?.newValue));
  });
  return { runtime, config, heard };
}

describe('config in a runtime transaction', () => {
  it('loads, reloads and reports restart-required keys through the runtime', async () => {
    const { runtime, config, heard } = setup();
    const first = await runtime.reload();
    expect(first.ok).toBe(true);
    expect(first.units.find((u) => u.name === 'config')).toMatchObject({
      outcome: 'added',
      generation: { from: 0, to: 1 },
    });
    write('v1', 'irc.b');
    const report = await runtime.reload({
      trigger: { kind: 'watcher' },
      changedFiles: [join(dir, 'config.yaml')],
    });
    expect(report.ok).toBe(true);
    expect(report.units.find((u) => u.name === 'config')).toMatchObject({
      outcome: 'refreshed',
      summary: 'model (restart required: host)',
      restartRequired: ['host'],
      generation: { from: 1, to: 2 },
    });
    expect(config.current).toEqual({ model: 'v1', host: 'irc.a' });
    expect(heard).toEqual(['v0', 'v1']);
    await runtime.close();
  });

  it('rolls the config back when a later unit fails, and no subscriber hears of it', async () => {
    const { runtime, config, heard } = setup();
    await runtime.reload();
    const live = config.current;
    write('unknown');
    const report = await runtime.reload();
    expect(report.ok).toBe(false);
    expect(report.rolledBack).toBe(true);
    expect(report.units.find((u) => u.name === 'config')).toMatchObject({
      outcome: 'unchanged',
      rolledBack: true,
    });
    expect(config.current).toBe(live);
    expect(config.generation).toBe(1);
    expect(config.snapshots()).toHaveLength(1);
    expect(heard).toEqual(['v0']);
    // The config is free for the next reload.
    write('v2');
    expect((await runtime.reload()).ok).toBe(true);
    expect(heard).toEqual(['v0', 'v2']);
    await runtime.close();
  });

  it('fails the transaction with the validation error, file and line', async () => {
    const { runtime, config } = setup();
    await runtime.reload();
    writeFileSync(join(dir, 'config.yaml'), 'model: 5\nhost: irc.a\n');
    const report = await runtime.reload();
    expect(report.ok).toBe(false);
    expect(report.units.find((u) => u.name === 'config')?.error).toMatchObject({
      code: 'HS_ERR_CONFIG_INVALID',
      location: { file: join(dir, 'config.yaml'), line: 1, column: 1 },
    });
    expect(config.current.model).toBe('v0');
    await runtime.close();
  });

  it('rolls back through runtime.rollback, one snapshot per step', async () => {
    const { runtime, config } = setup();
    await runtime.reload();
    write('v1');
    await runtime.reload();
    write('v2');
    await runtime.reload();
    const report = await runtime.rollback('config', 1);
    expect(report.ok).toBe(true);
    expect(config.current.model).toBe('v1');
    await runtime.close();
  });
});
