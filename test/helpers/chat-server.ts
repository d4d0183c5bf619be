/**
 * A small OpenAI-compatible endpoint on 127.0.0.1 for the LLM service tests: `GET /v1/models`
 * and `POST /v1/chat/completions`, whole or streamed (SSE `data: {...}` chunks, then
 * `data: [DONE]`), with tool calls. It checks the bearer key (and, like some real providers,
 * echoes a refused key in its error, so tests prove the client never shows it), records every
 * request, and can hold a stream after its first chunk until the test releases it.
 *
 * An answer is `[<model>] <last user message>`: the model that answered is in the text.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the server received. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** The model asked for (chat requests). */
  model?: string;
  stream: boolean;
  /** Whether the bearer key was the right one. */
  authorized: boolean;
}

/** A stream paused after its first chunk. */
export interface Hold {
  /** Resolves when a stream reached the hold (its first chunk is sent). */
  readonly reached: Promise<void>;
  /** Lets the held stream (and any later one) go on. */
  release(): void;
}

/** A running stub endpoint. */
export interface ChatServer {
  /** Base URL including `/v1`. */
  readonly baseUrl: string;
  /** Requests so far. */
  readonly requests: RecordedRequest[];
  /** Models served (change it to stop serving one). */
  models: string[];
  /** Holds the next stream after its first chunk. */
  hold(): Hold;
  /** Stops the server (open streams are cut). */
  close(): Promise<void>;
}

/** Options of {@link startChatServer}. */
export interface ChatServerOptions {
  /** The key clients must send. */
  key: string;
  /** Models served. */
  models: string[];
}

interface Body {
  model?: string;
  stream?: boolean;
  messages?: { role: string; content: string | null }[];
  tools?: { function: { name: string } }[];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Starts the stub on a free port of 127.0.0.1. */
export async function startChatServer(options: ChatServerOptions): Promise<ChatServer> {
  const requests: RecordedRequest[] = [];
  let pending: { reached: () => void; released: Promise<void>; release: () => void } | undefined;
  const sockets = new Set<import('node:net').Socket>();
  const state = { models: [...options.models] };

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: { message: String(err) } });
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const auth = req.headers.authorization ?? '';
    const given = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    const authorized = given === options.key;
    const text = await readBody(req);
    const body: Body = text ? (JSON.parse(text) as Body) : {};
    requests.push({
      method: req.method ?? 'GET',
      path,
      ...(body.model === undefined ? {} : { model: body.model }),
      stream: body.stream === true,
      authorized,
    });
    if (!authorized) {
      // Like some providers, the refusal names the key it was given.
      json(res, 401, { error: { message: `Incorrect API key provided: ${given}` } });
      return;
    }
    if (req.method === 'GET' && path === '/v1/models') {
      json(res, 200, { object: 'list', data: state.models.map((id) => ({ id, object: 'model' })) });
      return;
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      json(res, 404, { error: { message: `no route ${req.method} ${path}` } });
      return;
    }
    const model = body.model ?? '';
    if (!state.models.includes(model)) {
      json(res, 404, { error: { message: `The model ${model} does not exist` } });
      return;
    }
    const last = [...(body.messages ?? [])].reverse().find((m) => m.role === 'user');
    const answer = `[${model}] ${last?.content ?? ''}`;
    const tool = body.tools?.find((t) => last?.content?.includes(t.function.name));
    if (!body.stream) {
      const message = tool
        ? {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_1',
                type: 'function',
                function: {
                  name: tool.function.name,
                  arguments: JSON.stringify({ text: last?.content }),
                },
              },
            ],
          }
        : { role: 'assistant', content: answer };
      json(res, 200, {
        id: `chatcmpl-${requests.length}`,
        object: 'chat.completion',
        model,
        choices: [{ index: 0, message, finish_reason: tool ? 'tool_calls' : 'stop' }],
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (delta: Record<string, unknown>, finish: string | null = null): string =>
      `data: ${JSON.stringify({
        id: `chatcmpl-${requests.length}`,
        object: 'chat.completion.chunk',
        model,
        choices: [{ index: 0, delta, finish_reason: finish }],
      })}\n\n`;
    res.write(chunk({ role: 'assistant', content: '' }));
    const words = answer.split(/(?<= )/);
    for (let i = 0; i < words.length; i++) {
      res.write(chunk({ content: words[i] }));
      if (i === 0 && pending) {
        const held = pending;
        pending = undefined;
        held.reached();
        await held.released;
      }
    }
    res.write(chunk({}, 'stop'));
    res.end('data: [DONE]\n\n');
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    get models() {
      return state.models;
    },
    set models(list: string[]) {
      state.models = [...list];
    },
    hold() {
      let reached!: () => void;
      let release!: () => void;
      const reachedPromise = new Promise<void>((r) => {
        reached = r;
      });
      const released = new Promise<void>((r) => {
        release = r;
      });
      pending = { reached, released, release };
      return { reached: reachedPromise, release };
    },
    close() {
      return new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      });
    },
  };
}
