/**
 * One MQTT connection (mqtt.js, MQTT 5) of a connector service: one instance per generation.
 *
 * - `start`: connects, subscribes to its own control topic, then to the whole subscription
 *   ledger with the real handlers. Messages it receives are delivered from then on, while the
 *   live client still runs: during a swap both are subscribed, and the deduper lets the first
 *   copy of each message through.
 * - `healthCheck`: a round trip through the broker (publish to its control topic, receive it).
 * - `close`, once it is replaced and drained: a last round trip first (a barrier: the broker
 *   delivers to one client in order, so once it is back, every message routed to this client
 *   before it has arrived, and everything routed later went to its successor too), then its
 *   in-flight handlers end, then it disconnects, last.
 *
 * The broker sees the client id as `<clientId>-<generation>`: two connections overlap during a
 * swap, and MQTT allows one connection per client id (the second would kick the first out).
 */
import { randomUUID } from 'node:crypto';
import { connect, type IPublishPacket, type MqttClient } from 'mqtt';
import type { MessageDeduper } from './dedup.js';
import type { LedgerClient, MqttHandler, Qos, SubscriptionLedger } from './ledger.js';

/** Connection settings, read from the config (`mqtt.*`). */
export interface MqttSettings {
  /** Broker URL: `mqtt://host:port`, `mqtts://`, `ws://`, `wss://`. */
  url: string;
  /** Client id; the broker sees `<clientId>-<generation>`. */
  clientId: string;
  /** User name, when the broker wants one. */
  username?: string;
  /** Password (a secret: never shown by `toJSON` or `inspect`). */
  password?: string;
  /** Keep-alive, seconds. @default 30 */
  keepalive?: number;
  /** Milliseconds to wait for the broker's CONNACK. @default 10000 */
  connectTimeout?: number;
  /** Milliseconds between reconnects after a live connection drops. @default 1000 */
  reconnectPeriod?: number;
  /** Prefix of the per-client control topic (health checks, close barrier). @default 'hotswap/ctl' */
  controlTopic?: string;
}

/** Reads a message's publisher-given id; `undefined` when it has none. */
export type Identify = (packet: IPublishPacket) => string | undefined;

/** The user property `MqttConnector.publish` puts the message id in. */
export const messageIdProperty = 'msg-id';

/** The default {@link Identify}: the `msg-id` user property (MQTT 5). */
export const identifyByUserProperty: Identify = (packet) => {
  const value = packet.properties?.userProperties?.[messageIdProperty];
  const id = Array.isArray(value) ? value[0] : value;
  return typeof id === 'string' && id !== '' ? id : undefined;
};

/** The logger a connector writes to (pino's shape). */
export interface ConnectorLog {
  warn(data: object, message: string): void;
  debug(data: object, message: string): void;
}

/** What every client of one connector service shares. */
export interface ConnectorShared {
  ledger: SubscriptionLedger;
  dedup: MessageDeduper;
  identify: Identify;
  log?: ConnectorLog;
}

/** Options of `MqttConnector.publish`. */
export interface PublishOptions {
  /** @default 1 */
  qos?: Qos;
  /** @default false */
  retain?: boolean;
  /** The message id; subscribers deduplicate on it. @default a random UUID */
  id?: string;
}

type State = 'new' | 'connecting' | 'live' | 'closing' | 'closed';

const protocols = new Set(['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'ws:', 'wss:']);

/** Checks settings read from a config; throws a `TypeError` naming the bad field. */
export function checkSettings(value: unknown): MqttSettings {
  const s = value as Partial<MqttSettings> | null | undefined;
  if (typeof s !== 'object' || s === null) throw new TypeError('mqtt settings must be an object');
  if (typeof s.url !== 'string') throw new TypeError('mqtt.url must be a string');
  let url: URL;
  try {
    url = new URL(s.url);
  } catch {
    throw new TypeError(`mqtt.url is not a URL: ${s.url}`);
  }
  if (!protocols.has(url.protocol)) {
    throw new TypeError(`mqtt.url: unsupported protocol ${url.protocol}`);
  }
  if (typeof s.clientId !== 'string' || s.clientId === '') {
    throw new TypeError('mqtt.clientId must be a non-empty string');
  }
  return { ...s } as MqttSettings;
}

/** One MQTT connection of a connector service (see the file comment). */
export class MqttConnector implements LedgerClient {
  /** Generation of this instance. */
  readonly generation: number;
  /** The client id the broker sees. */
  readonly clientId: string;
  /** Messages this client received (before deduplication). */
  received = 0;
  readonly #settings: MqttSettings;
  readonly #shared: ConnectorShared;
  readonly #control: string;
  #client: MqttClient | undefined;
  #state: State = 'new';
  // After the close barrier, whatever still arrives reached the live client too.
  #sealed = false;
  readonly #inflight = new Set<Promise<void>>();
  readonly #barriers = new Map<string, () => void>();

  constructor(settings: MqttSettings, shared: ConnectorShared, generation: number) {
    this.#settings = checkSettings(settings);
    this.#shared = shared;
    this.generation = generation;
    this.clientId = `${settings.clientId}-${generation}`;
    this.#control = `${settings.controlTopic ?? 'hotswap/ctl'}/${this.clientId}`;
  }

  /** The broker URL. */
  get url(): string {
    return this.#settings.url;
  }

  /** True while connected and not closing. */
  get connected(): boolean {
    return this.#state === 'live' && this.#client?.connected === true;
  }

  /** Start step: connect, then subscribe to the control topic and the whole ledger. */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#state !== 'new') throw new Error(`${this.clientId} was already started`);
    this.#state = 'connecting';
    const s = this.#settings;
    const client = connect(s.url, {
      clientId: this.clientId,
      protocolVersion: 5,
      clean: true,
      // No retry while starting: a refused connection fails the start step at once.
      reconnectPeriod: 0,
      connectTimeout: s.connectTimeout ?? 10_000,
      keepalive: s.keepalive ?? 30,
      ...(s.username === undefined ? {} : { username: s.username }),
      ...(s.password === undefined ? {} : { password: s.password }),
    });
    this.#client = client;
    client.on('message', (topic, payload, packet) => this.#onMessage(topic, payload, packet));
    // Without a listener, an 'error' event would throw; connection errors are handled below.
    client.on('error', (err) => {
      if (this.#state === 'live')
        this.#shared.log?.warn({ err, client: this.clientId }, 'mqtt error');
    });
    client.on('offline', () => {
      if (this.#state === 'live') {
        this.#shared.log?.warn({ client: this.clientId }, 'mqtt connection lost; reconnecting');
      }
    });
    await new Promise<void>((resolve, reject) => {
      const settle = (err?: unknown): void => {
        client.off('connect', onConnect);
        client.off('error', onError);
        client.off('close', onClose);
        signal.removeEventListener('abort', onAbort);
        if (err === undefined) resolve();
        else reject(err);
      };
      const onConnect = (): void => settle();
      const onError = (err: Error): void => settle(err);
      const onClose = (): void =>
        settle(new Error(`${s.url} closed the connection before CONNACK`));
      const onAbort = (): void => settle(signal.reason);
      client.on('connect', onConnect);
      client.on('error', onError);
      client.on('close', onClose);
      signal.addEventListener('abort', onAbort);
    });
    // From now on a dropped connection comes back by itself; `resubscribe` (mqtt.js default)
    // restores the subscriptions made after this line.
    client.options.reconnectPeriod = s.reconnectPeriod ?? 1000;
    this.#state = 'live';
    await this.subscribeFilters(new Map([[this.#control, 1]]));
    await this.#shared.ledger.attach(this);
  }

  /** Health step: a message through the broker and back. */
  async healthCheck(signal: AbortSignal): Promise<void> {
    await this.#barrier(signal);
  }

  /**
   * Adds a subscription to the connector's ledger: every client (this one, and any that
   * replaces it) delivers matching messages to `handler`, once per message. Resolves once the
   * connected clients granted it; returns the unsubscribe function.
   */
  subscribe(filter: string, handler: MqttHandler, qos: Qos = 1): Promise<() => Promise<void>> {
    return this.#shared.ledger.add(filter, handler, qos);
  }

  /** Publishes with a message id in the `msg-id` user property; resolves the id once acked. */
  async publish(
    topic: string,
    payload: string | Buffer,
    options: PublishOptions = {},
  ): Promise<string> {
    const client = this.#live();
    const id = options.id ?? randomUUID();
    await client.publishAsync(topic, payload, {
      qos: options.qos ?? 1,
      retain: options.retain ?? false,
      properties: { userProperties: { [messageIdProperty]: id } },
    });
    return id;
  }

  /** Close step: barrier, in-flight handlers, then disconnect (see the file comment). */
  async close(signal: AbortSignal): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'closing') return;
    const wasLive = this.#state === 'live';
    this.#state = 'closing';
    this.#shared.ledger.detach(this);
    const client = this.#client;
    // A closing client must not come back by itself.
    if (client) client.options.reconnectPeriod = 0;
    let graceful = wasLive && client?.connected === true;
    try {
      if (graceful) {
        try {
          await this.#barrier(signal);
        } catch (err) {
          // The broker is gone, or refused the round trip (and may have dropped the
          // connection): nothing more can arrive, and nothing queued can be flushed.
          graceful = false;
          this.#shared.log?.debug({ err, client: this.clientId }, 'close barrier failed');
        }
      }
      this.#sealed = true;
      await abortable(Promise.allSettled([...this.#inflight]), signal);
      if (client) await end(client, graceful, signal);
    } finally {
      this.#state = 'closed';
      for (const wake of this.#barriers.values()) wake();
      this.#barriers.clear();
    }
  }

  /** Subscribes this client (used by the ledger). */
  async subscribeFilters(filters: ReadonlyMap<string, Qos>): Promise<void> {
    const client = this.#client;
    if (client === undefined || filters.size === 0) return;
    const map = Object.fromEntries([...filters].map(([filter, qos]) => [filter, { qos }]));
    const grants = await client.subscribeAsync(map);
    const refused = grants.filter((g) => g.qos >= 128);
    if (refused.length > 0) {
      throw new Error(
        `${this.clientId}: the broker refused ${refused.map((g) => `${g.topic} (reason ${g.qos})`).join(', ')}`,
      );
    }
  }

  /** Unsubscribes this client (used by the ledger). */
  async unsubscribeFilters(filters: readonly string[]): Promise<void> {
    if (this.#client?.connected) await this.#client.unsubscribeAsync([...filters]);
  }

  /** Settings as shown to a person: the password never. */
  toJSON(): Record<string, unknown> {
    const { password, ...shown } = this.#settings;
    return {
      ...shown,
      ...(password === undefined ? {} : { password: '[redacted]' }),
      clientId: this.clientId,
      generation: this.generation,
      state: this.#state,
    };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `MqttConnector ${JSON.stringify(this.toJSON())}`;
  }

  #live(): MqttClient {
    if (this.#state !== 'live' || this.#client === undefined) {
      throw new Error(`${this.clientId} is ${this.#state}: it cannot publish`);
    }
    return this.#client;
  }

  async #barrier(signal: AbortSignal): Promise<void> {
    const client = this.#client;
    if (client === undefined) throw new Error(`${this.clientId} is not connected`);
    const token = randomUUID();
    let onAbort: (() => void) | undefined;
    let onClose: (() => void) | undefined;
    const back = new Promise<void>((resolve, reject) => {
      this.#barriers.set(token, resolve);
      onAbort = () => reject(signal.reason);
      // A broker that drops the connection never answers, and mqtt.js keeps the publish queued.
      onClose = () =>
        reject(new Error(`${this.clientId}: the connection closed during a round trip`));
      signal.addEventListener('abort', onAbort, { once: true });
      client.once('close', onClose);
    });
    try {
      await Promise.all([client.publishAsync(this.#control, token, { qos: 1 }), back]);
      if (this.#state === 'closed') throw new Error(`${this.clientId} closed during a round trip`);
    } finally {
      this.#barriers.delete(token);
      if (onAbort) signal.removeEventListener('abort', onAbort);
      if (onClose) client.off('close', onClose);
    }
  }

  #onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    if (topic === this.#control) {
      this.#barriers.get(payload.toString())?.();
      return;
    }
    if (this.#sealed || this.#state === 'closed') return;
    this.received++;
    const { dedup, identify, ledger, log } = this.#shared;
    const id = identify(packet);
    if (!dedup.admit(id)) return;
    const message = { topic, payload, id, generation: this.generation };
    for (const handler of ledger.matching(topic)) {
      let result: void | Promise<void>;
      try {
        result = handler(message);
      } catch (err) {
        log?.warn({ err, topic }, 'mqtt handler threw');
        continue;
      }
      if (result && typeof result.then === 'function') {
        const running: Promise<void> = result.then(
          () => {
            this.#inflight.delete(running);
          },
          (err: unknown) => {
            this.#inflight.delete(running);
            log?.warn({ err, topic }, 'mqtt handler rejected');
          },
        );
        this.#inflight.add(running);
      }
    }
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then((value) => {
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    });
  });
}

/**
 * Disconnects: gracefully (in-flight publishes acked first) when `graceful`, else at once; and
 * at once anyway when `signal` aborts.
 */
async function end(client: MqttClient, graceful: boolean, signal: AbortSignal): Promise<void> {
  const onAbort = (): void => {
    client.end(true);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await client.endAsync(!graceful);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
