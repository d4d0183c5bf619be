/**
 * The MQTT connector showcase against a real mosquitto on 127.0.0.1 (one broker per test, with
 * two listeners so a swap can also move to another port): swapped under load by config
 * changes, nothing is lost and nothing handled twice, and the old client disconnects only after
 * its successor connected; a failing create, connect (refused port, bad credentials) or health
 * check (a user that may not publish) keeps the live client delivering and names the step.
 *
 * Imports only what a user imports: `hotswap` (the built package) and the example.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from '../helpers/build-once.js';
import { type Broker, freePort, requireMosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { cleanupsAfterEach, nextEvent } from '../helpers/package-suite.js';

type Hotswap = typeof import('hotswap');
type Example = typeof import('../../examples/mqtt-service/index.js');
type Runtime = import('hotswap').Runtime;

const mosquitto = requireMosquitto('MQTT service suite');

let hs: Hotswap;
let ex: Example;
beforeAll(async () => {
  if (!mosquitto.available) return;
  await buildOnce(['dist/index.js', 'dist/units/service.js']);
  hs = await import('hotswap');
  ex = await import('../../examples/mqtt-service/index.js');
}, 180_000);

const cleanups = cleanupsAfterEach();

interface Setup {
  broker: Broker;
  runtime: Runtime;
  mqtt: import('../../examples/mqtt-service/index.js').MqttService;
  /** Rewrites the config file's `mqtt` section and reloads the config; resolves the swap's report. */
  change(settings: Record<string, unknown>): Promise<import('hotswap').ReloadReport>;
  publisher: MqttClient;
}

async function setup(brokerOptions: Parameters<typeof startMosquitto>[0] = {}): Promise<Setup> {
  const broker = await startMosquitto({ listeners: 2, ...brokerOptions });
  cleanups.push(() => broker.stop());
  const dir = mkdtempSync(join(tmpdir(), 'hs-mqtt-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'app.json');
  const write = (mqtt: Record<string, unknown>): void =>
    writeFileSync(file, JSON.stringify({ mqtt }, null, 2));
  write({ url: broker.url, clientId: 'bot' });
  const runtime = hs.createRuntime({ logger: false });
  cleanups.push(() => runtime.close());
  const config = runtime.add(hs.createConfig({ files: [file], env: false }));
  const mqtt = ex.registerMqttService(runtime, { config, stepTimeout: 5_000 });
  const publisher = await connectAsync(broker.url, { protocolVersion: 5, clientId: 'publisher' });
  cleanups.push(() => publisher.endAsync());
  return {
    broker,
    runtime,
    mqtt,
    publisher,
    async change(settings) {
      write(settings);
      const swapped = nextEvent(
        runtime,
        'reload-end',
        ({ report }) => report.trigger.kind === 'config',
      );
      await config.reload();
      return (await swapped).report;
    },
  };
}

/** Publishes with the publisher-side id the connector deduplicates on. */
function publish(client: MqttClient, topic: string, payload: string, id: string): Promise<unknown> {
  return client.publishAsync(topic, payload, {
    qos: 1,
    properties: { userProperties: { 'msg-id': id } },
  });
}

/** Messages a handler received, and promises for the ones still to come. */
class Inbox {
  readonly messages: string[] = [];
  readonly #waiters: { test: (messages: string[]) => boolean; resolve: () => void }[] = [];
  push(message: string): void {
    this.messages.push(message);
    for (const w of [...this.#waiters]) {
      if (w.test(this.messages)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }
  /** Resolves once `test` holds for the messages received so far. */
  until(test: (messages: string[]) => boolean): Promise<void> {
    if (test(this.messages)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ test, resolve }));
  }
}

describe.skipIf(!mosquitto.available)(
  `MQTT connector service (real mosquitto)${mosquitto.available ? '' : ` — SKIPPED: needs a real mosquitto: ${mosquitto.reason}`}`,
  () => {
    it('swaps under load: every message handled exactly once, the old client disconnects last', async () => {
      const { runtime, mqtt, change, publisher, broker } = await setup();
      const calls = new Map<string, number>();
      const byGeneration = new Map<number, number>();
      const seen = new Inbox();
      let exact = 0;
      await mqtt.subscribe('load/#', ({ payload, generation }) => {
        const key = payload.toString();
        calls.set(key, (calls.get(key) ?? 0) + 1);
        byGeneration.set(generation, (byGeneration.get(generation) ?? 0) + 1);
        if (key === 'end') seen.push(key);
      });
      // A second, overlapping subscription: its handler too runs once per message.
      await mqtt.subscribe('load/a', () => {
        exact++;
      });
      expect((await runtime.reload()).ok).toBe(true);

      const disposed = new Set<number>();
      runtime.on('version-disposed', ({ unit, generation }) => {
        if (unit === 'mqtt') disposed.add(generation);
      });

      let sent = 0;
      let stop = false;
      const acked = new Inbox();
      const publishing = (async () => {
        while (!stop) {
          const batch: Promise<unknown>[] = [];
          for (let i = 0; i < 10; i++) {
            const seq = sent++;
            batch.push(publish(publisher, 'load/a', `m${seq}`, `p-${seq}`));
          }
          await Promise.all(batch);
          acked.push(String(sent));
          await new Promise<void>((r) => setImmediate(r));
        }
      })();

      const swaps = 20;
      for (let i = 1; i <= swaps; i++) {
        // Messages keep flowing between and during swaps: 50 more acked before each one.
        const before = sent;
        await acked.until(() => sent >= before + 50);
        // Alternate a new client id and a move to the broker's other listener.
        const port = broker.ports[i % 2];
        const report = await change({ url: `mqtt://127.0.0.1:${port}`, clientId: `bot${i}` });
        expect(report.ok, report.summary).toBe(true);
        expect(report.units[0]).toMatchObject({ name: 'mqtt', outcome: 'refreshed' });
      }
      stop = true;
      await publishing;

      // A last message after everything: the live client has seen all before it (one
      // publisher, one topic: the broker keeps their order).
      const end = seen.until((m) => m.includes('end'));
      await publish(publisher, 'load/a', 'end', 'p-end');
      await end;
      // And every old client has drained and disconnected.
      await new Promise<void>((resolve) => {
        const check = (): void => {
          if (disposed.size >= swaps) resolve();
        };
        runtime.on('version-disposed', check);
        check();
      });

      const missing: string[] = [];
      const twice: string[] = [];
      for (let seq = 0; seq < sent; seq++) {
        const n = calls.get(`m${seq}`) ?? 0;
        if (n === 0) missing.push(`m${seq}`);
        if (n > 1) twice.push(`m${seq}`);
      }
      expect({ sent: sent >= swaps * 50, missing, twice }).toEqual({
        sent: true,
        missing: [],
        twice: [],
      });
      expect(exact).toBe(sent + 1);
      // The overlap was real: both clients got copies during swaps, and the copies were dropped.
      expect(mqtt.dedup.stats.duplicates).toBeGreaterThan(0);
      expect(mqtt.dedup.stats.unidentified).toBe(0);
      expect(byGeneration.size).toBeGreaterThan(swaps / 2);
      expect(mqtt.handle.current.clientId).toBe(`bot${swaps}-${swaps + 1}`);

      // In the broker's own log: each new client connected before its predecessor disconnected.
      // (Its lines reach this process a little after the fact: wait for the last one.)
      await broker.waitForLog(new RegExp(`Client bot${swaps - 1}-${swaps} (disconnected|closed)`));
      const at = (pattern: RegExp): number => broker.log.findIndex((l) => pattern.test(l));
      for (let i = 1; i <= swaps; i++) {
        const previous = i === 1 ? 'bot-1' : `bot${i - 1}-${i}`;
        const next = `bot${i}-${i + 1}`;
        const connected = at(new RegExp(`New client connected .* as ${next} `));
        const disconnected = at(
          new RegExp(`Client ${previous} (disconnected|closed its connection)`),
        );
        expect(connected, `${next} connected`).toBeGreaterThan(-1);
        expect(disconnected, `${previous} disconnected`).toBeGreaterThan(connected);
      }
    });

    it('publishes through the service: ids set by the connector, a swap lets a publish in flight finish', async () => {
      const { runtime, mqtt, change } = await setup();
      const got = new Inbox();
      await mqtt.subscribe('chat/+', ({ payload, id }) => {
        got.push(`${payload} ${id === undefined ? 'no id' : 'id'}`);
      });
      await runtime.reload();
      const first = mqtt.handle.current;
      const inFlight = mqtt.handle.withLease(async (client) => {
        await change({ url: mqtt.handle.current.url, clientId: 'bot2' });
        // The swap is done, yet this client is still open for the work leased on it.
        expect(client.connected).toBe(true);
        return client.publish('chat/a', 'from the old client');
      });
      await inFlight;
      expect(mqtt.handle.current).not.toBe(first);
      await mqtt.publish('chat/b', 'from the new client');
      await got.until((m) => m.length >= 2);
      expect(got.messages.sort()).toEqual(['from the new client id', 'from the old client id']);
      expect(first.connected).toBe(false);
    });

    describe('a failing step keeps the live client delivering and names the step', () => {
      const acl = [
        'topic readwrite #',
        'user bot',
        'topic readwrite #',
        'user mute',
        'topic read #',
        '',
      ].join('\n');
      const cases: [string, (b: Broker) => Promise<Record<string, unknown>>, string, RegExp][] = [
        [
          'create: a URL that does not parse',
          async () => ({ url: 'not a url', clientId: 'bot' }),
          'HS_ERR_SERVICE_CREATE',
          /create of generation 2 failed: mqtt\.url is not a URL: not a url/,
        ],
        [
          'start: a broker port that refuses',
          async () => ({ url: `mqtt://127.0.0.1:${await freePort()}`, clientId: 'bot' }),
          'HS_ERR_SERVICE_START',
          /start of generation 2 failed: connect ECONNREFUSED 127\.0\.0\.1:\d+/,
        ],
        [
          'start: credentials the broker rejects',
          async (b) => ({ url: b.url, clientId: 'bot', username: 'bot', password: 'wrong' }),
          'HS_ERR_SERVICE_START',
          /start of generation 2 failed: Connection refused: Not authorized/,
        ],
        [
          'health: a user that may not publish',
          async (b) => ({ url: b.url, clientId: 'bot', username: 'mute', password: 'pw' }),
          'HS_ERR_SERVICE_HEALTH',
          /health check of generation 2 failed: Publish error: Not authorized/,
        ],
      ];
      for (const [title, settings, code, message] of cases) {
        it(title, async () => {
          const s = await setup({ users: { bot: 'secret', mute: 'pw' }, acl });
          const got = new Inbox();
          await s.mqtt.subscribe('t/#', ({ payload }) => {
            got.push(payload.toString());
          });
          await s.runtime.reload();
          const live = s.mqtt.handle.current;
          const report = await s.change(await settings(s.broker));
          expect(report.ok).toBe(false);
          const unit = report.units[0];
          expect(unit?.error?.code).toBe(code);
          expect(unit?.error?.message).toMatch(message);
          expect(unit?.error?.hint).toBe('generation 1 stays live');
          expect(s.mqtt.handle.current).toBe(live);
          expect(live.connected).toBe(true);
          const status = s.runtime.status().units.find((u) => u.name === 'mqtt');
          expect(status).toMatchObject({ generation: 1, state: 'active', lastError: { code } });
          // The live client still delivers, once.
          await publish(s.publisher, 't/after', 'after', 'after-1');
          await publish(s.publisher, 't/after', 'after', 'after-1');
          await publish(s.publisher, 't/after', 'last', 'after-2');
          await got.until((m) => m.includes('last'));
          expect(got.messages).toEqual(['after', 'last']);
        });
      }
    });
  },
);
