/**
 * An open-loop load generator: requests at a fixed rate whatever the server does, so a restart
 * shows up as failed requests rather than as a pause in sending (a closed-loop tool such as
 * autocannon sends less while the server is down, which hides the damage).
 */
import type { Agent } from 'node:http';
import { createAgent, get, type Reply } from './http-client.js';
import { percentile, sleep } from './stats.js';

/** What a load run saw. */
export interface LoadResult {
  readonly sent: number;
  /** Errors (refused, reset, timeout) and non-200 replies. */
  readonly failed: number;
  /** 99th percentile of the successful requests' latency, in ms. */
  readonly p99: number | undefined;
  /** Failure causes and their counts. */
  readonly causes: Record<string, number>;
}

/** A running load; `stop()` ends it and waits for requests in flight. */
export class SteadyLoad {
  readonly #port: number;
  readonly #rate: number;
  readonly #agent: Agent;
  readonly #onReply: ((reply: Reply) => void) | undefined;
  readonly #latencies: number[] = [];
  readonly #causes: Record<string, number> = {};
  #sent = 0;
  #failed = 0;
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;

  /** Sends `rate` requests per second to `/` on 127.0.0.1:`port`. */
  constructor(port: number, rate: number, onReply?: (reply: Reply) => void) {
    this.#port = port;
    this.#rate = rate;
    this.#agent = createAgent(64);
    this.#onReply = onReply;
  }

  start(): this {
    const started = performance.now();
    this.#timer = setInterval(() => {
      const due = Math.floor(((performance.now() - started) * this.#rate) / 1000) - this.#sent;
      for (let i = 0; i < due; i++) this.#fire();
    }, 5);
    return this;
  }

  #fire(): void {
    this.#sent++;
    if (this.#inFlight >= 512) {
      this.#fail('CLIENT_BACKLOG');
      return;
    }
    this.#inFlight++;
    void get(this.#port, '/', this.#agent, 5_000).then((reply) => {
      this.#inFlight--;
      if (reply.status === 200) this.#latencies.push(reply.ms);
      else this.#fail(reply.status === 0 ? (reply.error ?? 'ERROR') : `HTTP ${reply.status}`);
      this.#onReply?.(reply);
    });
  }

  #fail(cause: string): void {
    this.#failed++;
    this.#causes[cause] = (this.#causes[cause] ?? 0) + 1;
  }

  async stop(): Promise<LoadResult> {
    clearInterval(this.#timer);
    const deadline = performance.now() + 6_000;
    while (this.#inFlight > 0 && performance.now() < deadline) await sleep(10);
    this.#agent.destroy();
    return {
      sent: this.#sent,
      failed: this.#failed,
      p99: percentile(this.#latencies, 99),
      causes: { ...this.#causes },
    };
  }
}
