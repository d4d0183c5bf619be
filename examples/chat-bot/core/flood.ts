/**
 * Flood protection: a token bucket per key (a user's hostmask, or the bot's own output). Each
 * command takes a token; tokens come back one every `refillSeconds`, up to `burst`. Stable
 * state: reloads keep every bucket, and new limits apply to the buckets as they are.
 */

/** Limits of a set of buckets. */
export interface FloodLimits {
  /** Tokens a full bucket holds. */
  burst: number;
  /** Seconds for one token to come back; 0: never limited. */
  refillSeconds: number;
}

interface Bucket {
  tokens: number;
  at: number;
  /** A warning was given since the bucket last had a token. */
  warned: boolean;
}

/** Token buckets by key. */
export class TokenBuckets {
  #limits: FloodLimits;
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;

  constructor(limits: FloodLimits, now: () => number = Date.now) {
    this.#limits = { ...limits };
    this.#now = now;
  }

  /** New limits (after `@rehash`): every bucket keeps its tokens, capped at the new burst. */
  configure(limits: FloodLimits): void {
    this.#limits = { ...limits };
    for (const bucket of this.#buckets.values())
      bucket.tokens = Math.min(bucket.tokens, limits.burst);
  }

  /**
   * Takes a token for `key`: `ok` when there was one; else `warn` is true the first time in a
   * row (answer once, then stay quiet) and `wait` says how many seconds until the next token.
   */
  take(key: string): { ok: boolean; warn: boolean; wait: number } {
    const bucket = this.#refill(key);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      bucket.warned = false;
      return { ok: true, warn: false, wait: 0 };
    }
    const warn = !bucket.warned;
    bucket.warned = true;
    const wait = Math.ceil((1 - bucket.tokens) * this.#limits.refillSeconds);
    return { ok: false, warn, wait };
  }

  /** Milliseconds until `key` has a token again (0: it has one). */
  delay(key: string): number {
    const bucket = this.#refill(key);
    return bucket.tokens >= 1
      ? 0
      : Math.ceil((1 - bucket.tokens) * this.#limits.refillSeconds * 1000);
  }

  /** Keys tracked (users who sent commands). */
  get size(): number {
    return this.#buckets.size;
  }

  /** Keys held back right now (no token left). */
  held(): number {
    return [...this.#buckets.keys()].filter((key) => this.#refill(key).tokens < 1).length;
  }

  #refill(key: string): Bucket {
    const now = this.#now();
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: this.#limits.burst, at: now, warned: false };
      this.#buckets.set(key, bucket);
    }
    const { burst, refillSeconds } = this.#limits;
    const gained = refillSeconds === 0 ? burst : (now - bucket.at) / 1000 / refillSeconds;
    bucket.tokens = Math.min(burst, bucket.tokens + gained);
    bucket.at = now;
    return bucket;
  }
}
