/**
 * Chat history: the last lines said where the bot is, in a ring buffer. Stable state: it lives
 * in the core, so reloads keep it.
 */
import type { ChatMessage } from './types.ts';

/** The last `size` messages. */
export class ChatHistory {
  #size: number;
  readonly #lines: ChatMessage[] = [];

  constructor(size: number) {
    this.#size = size;
  }

  /** Remembers a message (the oldest goes when full). */
  add(message: ChatMessage): void {
    this.#lines.push(message);
    if (this.#lines.length > this.#size) this.#lines.splice(0, this.#lines.length - this.#size);
  }

  /** The last `count` messages of `channel` (undefined: the direct conversation) before `id`. */
  recent(
    channel: string | undefined,
    count: number,
    before = Number.POSITIVE_INFINITY,
  ): ChatMessage[] {
    const key = channel?.toLowerCase();
    return this.#lines
      .filter((m) => m.id < before && m.channel?.toLowerCase() === key)
      .slice(-Math.max(0, count));
  }

  /** Messages remembered. */
  get length(): number {
    return this.#lines.length;
  }

  /** A new size (after `@rehash`): keeps the most recent lines. */
  resize(size: number): void {
    this.#size = size;
    if (this.#lines.length > size) this.#lines.splice(0, this.#lines.length - size);
  }
}
