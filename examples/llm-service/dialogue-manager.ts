/**
 * A dependent of the `llm` service: keeps conversations (they outlive every client swap) and
 * answers through the live client, whole or streamed. A streamed answer holds a lease from its
 * first chunk to its last, so a swap in the middle lets it finish on the client (and model) it
 * started with, and the old client is closed only after it.
 *
 * The system prompt names the model, so it is rebuilt by an `onSwap` listener: the one thing
 * here a handle cannot update by itself.
 */
import type { ServiceHandle } from 'hotswap';
import type { ChatClient, ChatMessage } from './chat-client.js';

/** Conversations answered through the live LLM client. */
export class DialogueManager {
  readonly #llm: ServiceHandle<ChatClient>;
  readonly #conversations = new Map<string, ChatMessage[]>();
  #systemPrompt: string;
  readonly #off: () => void;

  constructor(llm: ServiceHandle<ChatClient>) {
    this.#llm = llm;
    this.#systemPrompt = llm.ready ? prompt(llm.current.model) : prompt(undefined);
    this.#off = llm.onSwap((next) => {
      this.#systemPrompt = prompt(next.model);
    });
  }

  /** The system prompt in use. */
  get systemPrompt(): string {
    return this.#systemPrompt;
  }

  /** The messages of a conversation so far. */
  history(conversation: string): readonly ChatMessage[] {
    return this.#conversations.get(conversation) ?? [];
  }

  /** Answers `text` in `conversation`, whole. */
  reply(conversation: string, text: string): Promise<string> {
    const messages = this.#ask(conversation, text);
    return this.#llm.withLease(async (client) => {
      const completion = await client.complete(messages);
      const answer = completion.choices[0]?.message.content ?? '';
      this.#remember(conversation, text, answer);
      return answer;
    });
  }

  /** Answers `text` in `conversation` chunk by chunk, on the client it started with. */
  async *replyStream(conversation: string, text: string): AsyncGenerator<string> {
    const messages = this.#ask(conversation, text);
    const lease = this.#llm.lease();
    try {
      let answer = '';
      for await (const delta of lease.current.stream(messages)) {
        answer += delta;
        yield delta;
      }
      this.#remember(conversation, text, answer);
    } finally {
      lease.release();
    }
  }

  /** Stops following swaps. */
  dispose(): void {
    this.#off();
  }

  #ask(conversation: string, text: string): ChatMessage[] {
    return [
      { role: 'system', content: this.#systemPrompt },
      ...this.history(conversation),
      { role: 'user', content: text },
    ];
  }

  #remember(conversation: string, text: string, answer: string): void {
    const history = [...this.history(conversation)];
    history.push({ role: 'user', content: text }, { role: 'assistant', content: answer });
    this.#conversations.set(conversation, history);
  }
}

function prompt(model: string | undefined): string {
  return `You are a helpful assistant${model ? ` running on ${model}` : ''}. Answer briefly.`;
}
