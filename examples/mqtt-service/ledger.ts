/**
 * The ledger of a connector's subscriptions: every topic filter with its real handlers. It
 * outlives the MQTT clients: each client that comes up is attached and subscribed to the whole
 * ledger before it goes live, and a subscription added while two clients overlap (a swap) is
 * made on both. Handlers are found here for each message, whichever client received it.
 */
import { checkFilter, topicMatches } from './topic.js';

/** What a handler receives. */
export interface MqttMessage {
  /** The topic it was published to. */
  readonly topic: string;
  /** The payload. */
  readonly payload: Buffer;
  /** The publisher-given id (see `dedup.ts`), when it has one. */
  readonly id: string | undefined;
  /** Generation of the client that delivered it. */
  readonly generation: number;
}

/** A message handler; a returned promise is awaited before the client that delivered it closes. */
export type MqttHandler = (message: MqttMessage) => void | Promise<void>;

/** QoS of a subscription. */
export type Qos = 0 | 1 | 2;

/** A client the ledger keeps subscribed. */
export interface LedgerClient {
  /** Subscribes to each filter at its QoS; rejects when the broker refuses one. */
  subscribeFilters(filters: ReadonlyMap<string, Qos>): Promise<void>;
  /** Unsubscribes from each filter. */
  unsubscribeFilters(filters: readonly string[]): Promise<void>;
}

interface Entry {
  readonly filter: string;
  readonly qos: Qos;
  readonly handler: MqttHandler;
}

/** Subscriptions and handlers shared by every client of one connector. */
export class SubscriptionLedger {
  #entries: Entry[] = [];
  readonly #clients = new Set<LedgerClient>();

  /** Number of subscriptions (filter and handler pairs). */
  get size(): number {
    return this.#entries.length;
  }

  /** Every filter with the highest QoS any of its handlers asked for. */
  filters(): Map<string, Qos> {
    const out = new Map<string, Qos>();
    for (const e of this.#entries)
      out.set(e.filter, Math.max(out.get(e.filter) ?? 0, e.qos) as Qos);
    return out;
  }

  /** The handlers whose filter matches `topic`, in the order they subscribed. */
  matching(topic: string): MqttHandler[] {
    return this.#entries.filter((e) => topicMatches(e.filter, topic)).map((e) => e.handler);
  }

  /**
   * Adds a subscription and makes it on every attached client; resolves once each granted it.
   * Returns the function that removes it (and unsubscribes the filter when it was the last).
   */
  async add(filter: string, handler: MqttHandler, qos: Qos = 1): Promise<() => Promise<void>> {
    checkFilter(filter);
    const entry: Entry = { filter, qos, handler };
    const before = this.filters().get(filter);
    this.#entries = [...this.#entries, entry];
    if (before === undefined || before < qos) {
      const one = new Map([[filter, Math.max(before ?? 0, qos) as Qos]]);
      await Promise.all([...this.#clients].map((c) => c.subscribeFilters(one)));
    }
    return async () => {
      if (!this.#entries.includes(entry)) return;
      this.#entries = this.#entries.filter((e) => e !== entry);
      if (!this.filters().has(filter)) {
        await Promise.all([...this.#clients].map((c) => c.unsubscribeFilters([filter])));
      }
    };
  }

  /**
   * Attaches a client and subscribes it to the whole ledger. The client is attached first, so
   * a subscription added meanwhile reaches it too (subscribing twice to a filter is harmless).
   */
  async attach(client: LedgerClient): Promise<void> {
    this.#clients.add(client);
    const all = this.filters();
    if (all.size > 0) await client.subscribeFilters(all);
  }

  /** Stops keeping `client` subscribed (it is closing). */
  detach(client: LedgerClient): void {
    this.#clients.delete(client);
  }
}
