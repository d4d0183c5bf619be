/**
 * Delivered-once bookkeeping across every client of one connector. During a swap the old and
 * the new client are both subscribed, so the broker sends each message published in that
 * window to both, with broker-assigned packet ids that differ per client and say nothing
 * about identity. What identifies a message is an id its publisher gave it: an MQTT 5 user
 * property (`msg-id`, what `MqttConnector.publish` sets), or a field of the payload (pass your
 * own `identify`). The first copy is delivered; later copies with the same id are dropped.
 *
 * Ids are kept in two rotating sets (the newest `window` ids at least, 2 × `window` at most):
 * a copy arrives within the overlap of one swap, milliseconds apart, so a bounded memory is
 * enough, and lookups stay O(1).
 */

/** Counts of what the deduper saw. */
export interface DedupStats {
  /** Messages delivered (first copies, plus every message without an id). */
  delivered: number;
  /** Later copies of a message already delivered, dropped. */
  duplicates: number;
  /** Messages without an id: delivered every time they arrive (at least once, not once). */
  unidentified: number;
}

/** Remembers message ids across the clients of one connector. */
export class MessageDeduper {
  readonly #window: number;
  #current = new Set<string>();
  #previous = new Set<string>();
  readonly stats: DedupStats = { delivered: 0, duplicates: 0, unidentified: 0 };

  /** @param window ids remembered at least (default 100000). */
  constructor(window = 100_000) {
    if (!Number.isInteger(window) || window < 1) {
      throw new TypeError(`dedup window must be a positive integer, got ${window}`);
    }
    this.#window = window;
  }

  /**
   * True when the message should be delivered: it has no id (counted as unidentified), or its
   * id was not seen yet (then it is remembered).
   */
  admit(id: string | undefined): boolean {
    if (id === undefined) {
      this.stats.unidentified++;
      this.stats.delivered++;
      return true;
    }
    if (this.#current.has(id) || this.#previous.has(id)) {
      this.stats.duplicates++;
      return false;
    }
    if (this.#current.size >= this.#window) {
      this.#previous = this.#current;
      this.#current = new Set();
    }
    this.#current.add(id);
    this.stats.delivered++;
    return true;
  }
}
