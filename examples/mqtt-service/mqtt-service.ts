/**
 * The MQTT connector as a hotswap service: its settings come from the config (`mqtt.*` by
 * default), and any committed change of them (client id, credentials, broker URL ...) swaps
 * the connection blue/green: the new client connects and subscribes to the whole ledger with
 * the real handlers before the old one stops; each message is handled once across the swap;
 * the old client disconnects last.
 *
 * Publishers must give each message an id (see `dedup.ts`): `MqttConnector.publish` does, with
 * the `msg-id` user property of MQTT 5; for other publishers pass `identify`.
 */
import type { Runtime, ServiceConfigSource, ServiceHandle } from 'hotswap';
import {
  type ConnectorLog,
  checkSettings,
  type Identify,
  identifyByUserProperty,
  MqttConnector,
} from './connector.js';
import { MessageDeduper } from './dedup.js';
import { type MqttHandler, type Qos, SubscriptionLedger } from './ledger.js';

/** A config the settings are read from: a hotswap config unit. */
export interface MqttConfig extends ServiceConfigSource {
  /** The live configuration. */
  readonly current: unknown;
}

/** Options of {@link registerMqttService}. */
export interface MqttServiceOptions {
  /** The config holding the settings. */
  config: MqttConfig;
  /** Key path of the settings in the config. @default 'mqtt' */
  key?: string;
  /** Service (unit) name. @default 'mqtt' */
  name?: string;
  /** How a message's publisher-given id is read. @default the `msg-id` user property */
  identify?: Identify;
  /** Message ids remembered for deduplication, at least. @default 100000 */
  dedupWindow?: number;
  /** Milliseconds an old client's publishes in flight may take after a swap. @default 30000 */
  drainTimeout?: number;
  /** Milliseconds each of connect, subscribe-all and the health round trip may take. @default 10000 */
  stepTimeout?: number;
}

/** What {@link registerMqttService} returns. */
export interface MqttService {
  /** The live connection (use `withLease` for a publish that must finish on its client). */
  readonly handle: ServiceHandle<MqttConnector>;
  /** Subscriptions shared by every client of the service. */
  readonly ledger: SubscriptionLedger;
  /** Delivered-once bookkeeping (and its counts). */
  readonly dedup: MessageDeduper;
  /**
   * Subscribes `handler` to `filter` on the live client and every later one; may be called
   * before the first reload (the first client subscribes to it as it starts).
   */
  subscribe(filter: string, handler: MqttHandler, qos?: Qos): Promise<() => Promise<void>>;
  /** Publishes on the live client, under a lease (a swap meanwhile lets it finish). */
  publish(
    topic: string,
    payload: string | Buffer,
    options?: { qos?: Qos; id?: string },
  ): Promise<string>;
}

function readPath(root: unknown, path: string): unknown {
  let value = root;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * Registers the connector on `runtime`; the next reload connects it.
 * @example
 * const mqtt = registerMqttService(runtime, { config });
 * await mqtt.subscribe('sensors/#', ({ topic, payload }) => store(topic, payload));
 * await runtime.reload();
 * await mqtt.publish('sensors/kitchen', '21.5');
 */
export function registerMqttService(runtime: Runtime, options: MqttServiceOptions): MqttService {
  const { config } = options;
  const key = options.key ?? 'mqtt';
  const ledger = new SubscriptionLedger();
  const dedup = new MessageDeduper(options.dedupWindow);
  const identify = options.identify ?? identifyByUserProperty;
  const step = options.stepTimeout ?? 10_000;
  const handle = runtime.service<MqttConnector>(options.name ?? 'mqtt', {
    config,
    // `mqtt` covers every key under it.
    configKeys: [key],
    create: (ctx) =>
      new MqttConnector(
        checkSettings(readPath(config.current, key)),
        { ledger, dedup, identify, log: ctx.log as ConnectorLog },
        ctx.generation,
      ),
    start: (connector, ctx) => connector.start(ctx.signal),
    healthCheck: (connector, ctx) => connector.healthCheck(ctx.signal),
    close: (connector, info) => connector.close(info.signal),
    ...(options.drainTimeout === undefined ? {} : { drainTimeout: options.drainTimeout }),
    timeouts: { start: step, health: step, close: step },
  });
  return {
    handle,
    ledger,
    dedup,
    subscribe: (filter, handler, qos) => ledger.add(filter, handler, qos),
    publish: (topic, payload, opts) =>
      handle.withLease((connector) => connector.publish(topic, payload, opts)),
  };
}
