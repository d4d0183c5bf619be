/**
 * The LLM client showcase against a local OpenAI-compatible endpoint on 127.0.0.1 (a real HTTP
 * server, real fetch, real SSE): changing the model or the base URL swaps the client and the
 * dependents (tool dispatcher, dialogue manager) use the new one; a bad base URL, an unserved
 * model or a refused key fail the health check and the old client keeps answering; a stream in
 * flight during a swap finishes on the old client, which closes only after it; the key never
 * shows in logs (pino, captured at trace level), reports, status or errors.
 *
 * Imports only what a user imports: `hotswap` (the built package) and the example.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from '../helpers/build-once.js';
import { type ChatServer, startChatServer } from '../helpers/chat-server.js';
import { freePort } from '../helpers/mosquitto.js';
import { cleanupsAfterEach, nextEvent } from '../helpers/package-suite.js';

type Hotswap = typeof import('hotswap');
type Example = typeof import('../../examples/llm-service/index.js');

const KEY = 'sk-test-7f3a9c1e5b2d4f6a8c0e';
const WRONG_KEY = 'sk-wrong-0d9b8a7c6e5f4a3b2c1d';

let hs: Hotswap;
let ex: Example;
beforeAll(async () => {
  await buildOnce(['dist/index.js', 'dist/units/service.js']);
  hs = await import('hotswap');
  ex = await import('../../examples/llm-service/index.js');
}, 180_000);

const cleanups = cleanupsAfterEach();

interface LlmSettings {
  baseUrl: string;
  model: string;
  apiKey: string;
}

async function setup() {
  const server = await startChatServer({ key: KEY, models: ['model-a', 'model-b'] });
  cleanups.push(() => server.close());
  const dir = mkdtempSync(join(tmpdir(), 'hs-llm-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  let settings: LlmSettings = { baseUrl: server.baseUrl, model: 'model-a', apiKey: KEY };
  const write = (): void =>
    writeFileSync(
      join(dir, 'config.yaml'),
      `llm:\n  baseUrl: ${settings.baseUrl}\n  model: ${settings.model}\n  apiKey: ${settings.apiKey}\n`,
    );
  write();
  // Every log line the runtime, the config and the service write, at the most verbose level.
  const logs: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => logs.push(line) });
  const runtime = hs.createRuntime({ logger });
  cleanups.push(() => runtime.close());
  const config = runtime.add(hs.createConfig({ files: ['config.yaml'], cwd: dir, env: false }));
  const llm = ex.registerLlmService(runtime, { config, drainTimeout: 10_000 });
  const dialogue = new ex.DialogueManager(llm);
  const dispatcher = new ex.ToolDispatcher(llm, {
    weather: { description: 'the weather', run: ({ text }) => `sunny, asked: ${text}` },
  });
  const first = await runtime.reload();
  expect(first.ok, first.summary).toBe(true);
  const configReports: unknown[] = [];
  return {
    server,
    runtime,
    config,
    llm,
    dialogue,
    dispatcher,
    logs,
    configReports,
    /** Rewrites the config and reloads it; resolves the service swap's report. */
    async change(patch: Partial<LlmSettings>) {
      settings = { ...settings, ...patch };
      write();
      const swapped = nextEvent(
        runtime,
        'reload-end',
        ({ report }) => report.trigger.kind === 'config',
      );
      configReports.push(await config.reload());
      return (await swapped).report;
    },
  };
}

describe('LLM client service', () => {
  it('changing the model or the base URL swaps the client; the dependents use the new one', async () => {
    const s = await setup();
    expect(await s.dialogue.reply('alice', 'hello')).toBe('[model-a] hello');
    expect(await s.dispatcher.dispatch('what is the weather')).toEqual({
      tool: 'weather',
      result: 'sunny, asked: what is the weather',
      model: 'model-a',
    });
    expect(s.dialogue.systemPrompt).toContain('running on model-a');
    const first = s.llm.current;

    const closed = nextEvent(s.runtime, 'version-disposed', (e) => e.unit === 'llm');
    const report = await s.change({ model: 'model-b' });
    expect(report.ok, report.summary).toBe(true);
    expect(report.trigger).toEqual({ kind: 'config', by: 'config', detail: 'llm.model' });
    expect(report.units[0]).toMatchObject({
      name: 'llm',
      outcome: 'refreshed',
      generation: { from: 1, to: 2 },
    });
    expect(await s.dialogue.reply('alice', 'again')).toBe('[model-b] again');
    expect((await s.dispatcher.dispatch('weather?')).model).toBe('model-b');
    // Rewired by its onSwap listener; the conversation outlived the swap.
    expect(s.dialogue.systemPrompt).toContain('running on model-b');
    expect(s.dialogue.history('alice').map((m) => m.content)).toEqual([
      'hello',
      '[model-a] hello',
      'again',
      '[model-b] again',
    ]);
    expect(await closed).toMatchObject({ generation: 1, forced: false, errors: [] });
    expect(first.closed).toBe(true);

    // Another endpoint: requests go there from now on.
    const other = await startChatServer({ key: KEY, models: ['model-b'] });
    cleanups.push(() => other.close());
    expect((await s.change({ baseUrl: other.baseUrl })).ok).toBe(true);
    const before = s.server.requests.length;
    expect(await s.dialogue.reply('bob', 'hi')).toBe('[model-b] hi');
    expect(s.server.requests.length).toBe(before);
    expect(other.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v1/models',
      'POST /v1/chat/completions',
    ]);
  });

  describe('a failing new client keeps the old one answering', () => {
    const cases: [
      string,
      (s: { server: ChatServer }) => Promise<Partial<LlmSettings>>,
      string,
      RegExp,
    ][] = [
      [
        'a base URL nothing listens on',
        async () => ({ baseUrl: `http://127.0.0.1:${await freePort()}/v1` }),
        'HS_ERR_SERVICE_HEALTH',
        /health check of generation 2 failed: GET http:\/\/127\.0\.0\.1:\d+\/v1\/models failed: ECONNREFUSED/,
      ],
      [
        'a model the endpoint does not serve',
        async () => ({ model: 'model-x' }),
        'HS_ERR_SERVICE_HEALTH',
        /health check of generation 2 failed: model model-x is not served by http:\/\/127\.0\.0\.1:\d+\/v1/,
      ],
      [
        'a key the endpoint refuses',
        async () => ({ apiKey: WRONG_KEY }),
        'HS_ERR_SERVICE_HEALTH',
        /health check of generation 2 failed: GET .*\/v1\/models answered 401: Incorrect API key provided: \[redacted\]/,
      ],
      [
        'a base URL that is not a URL',
        async () => ({ baseUrl: 'localhost:8080/v1' }),
        'HS_ERR_SERVICE_CREATE',
        /create of generation 2 failed: llm\.baseUrl must be http or https, got localhost:/,
      ],
    ];
    for (const [title, patch, code, message] of cases) {
      it(title, async () => {
        const s = await setup();
        const live = s.llm.current;
        const report = await s.change(await patch(s));
        expect(report.ok).toBe(false);
        expect(report.units[0]?.error?.code).toBe(code);
        expect(report.units[0]?.error?.message).toMatch(message);
        expect(s.llm.current).toBe(live);
        expect(live.closed).toBe(false);
        expect(await s.dialogue.reply('carol', 'still there?')).toBe('[model-a] still there?');
        expect(s.runtime.status().units.find((u) => u.name === 'llm')).toMatchObject({
          generation: 1,
          state: 'active',
          lastError: { code },
        });
      });
    }
  });

  it('a stream in flight during a swap finishes on the old client, which closes after it', async () => {
    const s = await setup();
    const hold = s.server.hold();
    const chunks: string[] = [];
    const streaming = (async () => {
      for await (const chunk of s.dialogue.replyStream('dave', 'tell me a long story')) {
        chunks.push(chunk);
      }
    })();
    await hold.reached;
    const old = s.llm.current;

    const report = await s.change({ model: 'model-b' });
    expect(report.ok, report.summary).toBe(true);
    // The swap is done; the old client is draining with the stream's lease.
    expect(s.runtime.status().units.find((u) => u.name === 'llm')).toMatchObject({
      leases: 1,
      details: {
        instances: [
          { generation: 1, state: 'retiring', leases: 1 },
          { generation: 2, state: 'live', leases: 0 },
        ],
      },
    });
    // New work meanwhile goes to the new client.
    expect(await s.dialogue.reply('erin', 'quick one')).toBe('[model-b] quick one');
    expect(old.closed).toBe(false);

    const closed = nextEvent(s.runtime, 'version-disposed', (e) => e.generation === 1);
    hold.release();
    await streaming;
    expect(chunks.join('')).toBe('[model-a] tell me a long story');
    expect(chunks.length).toBeGreaterThan(3);
    expect(await closed).toMatchObject({ forced: false, errors: [] });
    expect(old.closed).toBe(true);
    expect(s.dialogue.history('dave').at(-1)?.content).toBe('[model-a] tell me a long story');
    const chats = s.server.requests.filter((r) => r.path === '/v1/chat/completions');
    expect(chats.map((r) => [r.model, r.stream])).toEqual([
      ['model-a', true],
      ['model-b', false],
    ]);
  });

  it('the key never shows: logs at trace level, reports, status, snapshots, errors, the client', async () => {
    const s = await setup();
    await s.dialogue.reply('frank', 'hello');
    await s.change({ model: 'model-b' });
    await s.change({ apiKey: WRONG_KEY }); // refused: the health check fails
    await s.change({ baseUrl: `http://127.0.0.1:${await freePort()}/v1` });
    const wrong = new ex.ChatClient({
      baseUrl: s.server.baseUrl,
      model: 'model-a',
      apiKey: WRONG_KEY,
    });
    const thrown = await wrong
      .complete([{ role: 'user', content: 'hi' }])
      .catch((err: Error) => err);
    expect(thrown).toBeInstanceOf(Error);

    const everything = [
      ...s.logs,
      JSON.stringify(s.runtime.history()),
      JSON.stringify(s.runtime.status()),
      JSON.stringify(s.config.snapshots()),
      JSON.stringify(s.config.redacted()),
      JSON.stringify(s.configReports),
      JSON.stringify(s.llm.current),
      inspect(s.llm.current),
      inspect(wrong),
      (thrown as Error).message,
      inspect(thrown),
    ].join('\n');
    // What was captured is the real thing: the failures and the redacted key are in it.
    expect(everything).toContain('HS_ERR_SERVICE_HEALTH');
    expect(everything).toContain('Incorrect API key provided: [redacted]');
    expect(s.logs.some((l) => l.includes('llm.apiKey') && l.includes('[redacted]'))).toBe(true);
    expect(s.logs.length).toBeGreaterThan(10);
    for (const secret of [KEY, WRONG_KEY]) {
      expect(everything.includes(secret), `the key ${secret.slice(0, 7)}… was printed`).toBe(false);
    }
  });
});
