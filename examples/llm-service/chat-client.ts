/**
 * An OpenAI-compatible chat-completions client on Node's built-in `fetch`: one instance per
 * generation of the `llm` service, holding one base URL, model and key.
 *
 * No SDK: the two endpoints used (`GET /models`, `POST /chat/completions`, streamed or not) take
 * a hundred lines; an SDK would add a dependency and its own retries and timeouts, which would
 * hide a broken endpoint from the health check (the swap must fail fast and keep the old
 * client), and every provider that speaks this shape (OpenAI, vLLM, llama.cpp, Ollama,
 * LiteLLM ...) works the same.
 *
 * The key is a secret: it lives in a private field, goes only into the Authorization header,
 * is replaced by `[redacted]` in `toJSON()`, `inspect` and any error text a server sends back
 * (some echo the key they refused).
 */
import { sseData } from './sse.js';

/** Settings, read from the config (`llm.*`). */
export interface LlmSettings {
  /** Base URL, up to and including the version: `https://api.openai.com/v1`. */
  baseUrl: string;
  /** Model id, e.g. `gpt-4o-mini`. */
  model: string;
  /** API key (a secret). */
  apiKey?: string;
  /** Milliseconds a non-streamed completion may take. @default 60000 */
  timeoutMs?: number;
}

/** One message of a conversation. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | null;
  /** Tool calls the assistant asked for. */
  tool_calls?: ToolCall[];
  /** The call a `tool` message answers. */
  tool_call_id?: string;
}

/** A function the model may call. */
export interface ToolSpec {
  type: 'function';
  function: { name: string; description?: string; parameters: Record<string, unknown> };
}

/** A call the model asked for. */
export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A non-streamed answer. */
export interface ChatCompletion {
  id: string;
  model: string;
  choices: { index: number; message: ChatMessage; finish_reason: string | null }[];
}

/** Options of one request. */
export interface RequestOptions {
  /** Tools the model may call. */
  tools?: ToolSpec[];
  /** Aborts the request. */
  signal?: AbortSignal;
}

/** A non-2xx answer; the text never holds the key. */
export class LlmHttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'LlmHttpError';
  }
}

const REDACTED = '[redacted]';

/** Checks settings read from a config; throws a `TypeError` naming the bad field. */
export function checkLlmSettings(value: unknown): LlmSettings {
  const s = value as Partial<LlmSettings> | null | undefined;
  if (typeof s !== 'object' || s === null) throw new TypeError('llm settings must be an object');
  if (typeof s.baseUrl !== 'string') throw new TypeError('llm.baseUrl must be a string');
  let url: URL;
  try {
    url = new URL(s.baseUrl);
  } catch {
    throw new TypeError(`llm.baseUrl is not a URL: ${s.baseUrl}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`llm.baseUrl must be http or https, got ${url.protocol}`);
  }
  if (typeof s.model !== 'string' || s.model === '') {
    throw new TypeError('llm.model must be a non-empty string');
  }
  if (s.apiKey !== undefined && typeof s.apiKey !== 'string') {
    throw new TypeError('llm.apiKey must be a string');
  }
  return { ...s } as LlmSettings;
}

/** One OpenAI-compatible endpoint, model and key (see the file comment). */
export class ChatClient {
  /** Generation of this instance. */
  readonly generation: number;
  /** Base URL, without a trailing slash. */
  readonly baseUrl: string;
  /** Model id. */
  readonly model: string;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;
  // Requests in flight, aborted when the client closes (only stragglers: leases let the
  // others finish first).
  readonly #inflight = new Set<AbortController>();
  #closed = false;

  constructor(settings: LlmSettings, generation = 1) {
    const s = checkLlmSettings(settings);
    this.generation = generation;
    this.baseUrl = s.baseUrl.replace(/\/+$/, '');
    this.model = s.model;
    this.#apiKey = s.apiKey;
    this.#timeoutMs = s.timeoutMs ?? 60_000;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Health step: the endpoint answers `GET /models` with this key and lists the model. */
  async healthCheck(signal?: AbortSignal): Promise<void> {
    const response = await this.#fetch('GET', '/models', undefined, signal);
    const body = (await response.json()) as { data?: { id?: unknown }[] };
    const ids = (body.data ?? []).map((m) => m.id);
    if (!ids.includes(this.model)) {
      throw new Error(`model ${this.model} is not served by ${this.baseUrl}`);
    }
  }

  /** A complete answer. */
  async complete(messages: ChatMessage[], options: RequestOptions = {}): Promise<ChatCompletion> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const response = await this.#fetch(
      'POST',
      '/chat/completions',
      { model: this.model, messages, ...(options.tools ? { tools: options.tools } : {}) },
      signal,
    );
    return (await response.json()) as ChatCompletion;
  }

  /** The answer as it is generated: each content delta, in order. */
  async *stream(messages: ChatMessage[], options: RequestOptions = {}): AsyncGenerator<string> {
    const response = await this.#fetch(
      'POST',
      '/chat/completions',
      { model: this.model, messages, stream: true },
      options.signal,
      true,
    );
    if (response.body === null) throw new Error('the stream has no body');
    for await (const data of sseData(response.body)) {
      if (data === '[DONE]') return;
      const chunk = JSON.parse(data) as { choices?: { delta?: { content?: string | null } }[] };
      const delta = chunk.choices?.[0]?.delta?.content;
      if (delta) yield delta;
    }
  }

  /** Ends the client: requests still in flight are aborted. */
  close(): void {
    this.#closed = true;
    for (const controller of this.#inflight) controller.abort(new Error('the client closed'));
    this.#inflight.clear();
  }

  /** What a log or a report may show: never the key. */
  toJSON(): Record<string, unknown> {
    return {
      baseUrl: this.baseUrl,
      model: this.model,
      apiKey: this.#apiKey === undefined ? undefined : REDACTED,
      generation: this.generation,
      closed: this.#closed,
    };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `ChatClient ${JSON.stringify(this.toJSON())}`;
  }

  async #fetch(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
    stream = false,
  ): Promise<Response> {
    if (this.#closed)
      throw new Error(`${this.model} client (generation ${this.generation}) is closed`);
    const controller = new AbortController();
    const signals = signal ? [signal, controller.signal] : [controller.signal];
    this.#inflight.add(controller);
    const url = `${this.baseUrl}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        signal: AbortSignal.any(signals),
        headers: {
          accept: stream ? 'text/event-stream' : 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.#apiKey === undefined ? {} : { authorization: `Bearer ${this.#apiKey}` }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      this.#inflight.delete(controller);
      // fetch says only "fetch failed"; the cause says why (ECONNREFUSED, ENOTFOUND ...).
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new Error(this.#scrub(`${method} ${url} failed: ${why}`), { cause: err });
    }
    if (!response.ok) {
      this.#inflight.delete(controller);
      const text = await response.text().catch(() => '');
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
      } catch {
        // Not JSON: keep the text.
      }
      throw new LlmHttpError(
        this.#scrub(`${method} ${url} answered ${response.status}: ${message.slice(0, 200)}`),
        response.status,
      );
    }
    // A streamed body is read after this returns: the request stays in flight until it ends.
    if (stream && response.body) {
      const done = (): void => {
        this.#inflight.delete(controller);
      };
      const tracked = response.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({ flush: done }),
      );
      controller.signal.addEventListener('abort', done, { once: true });
      return new Response(tracked, { status: response.status, headers: response.headers });
    }
    this.#inflight.delete(controller);
    return response;
  }

  #scrub(text: string): string {
    const key = this.#apiKey;
    return key ? text.split(key).join(REDACTED) : text;
  }
}
