/**
 * The chat client as a hotswap service: base URL, model and key come from the config
 * (`llm.*`); a committed change of any of them builds a new client, which goes live only once
 * its health check passes (the endpoint answers with this key and serves the model). A bad
 * base URL fails the swap with `HS_ERR_SERVICE_HEALTH` and the old client keeps answering.
 * Requests in flight during a swap (a streamed answer) finish on the client they started on.
 */
import type { Runtime, ServiceConfigSource, ServiceHandle } from 'hotswap';
import { ChatClient, checkLlmSettings } from './chat-client.js';

/** A config the settings are read from: a hotswap config unit. */
export interface LlmConfig extends ServiceConfigSource {
  /** The live configuration. */
  readonly current: unknown;
}

/** Options of {@link registerLlmService}. */
export interface LlmServiceOptions {
  /** The config holding the settings. */
  config: LlmConfig;
  /** Key path of the settings. @default 'llm' */
  key?: string;
  /** Service (unit) name. @default 'llm' */
  name?: string;
  /** Milliseconds a streamed answer may go on on a replaced client. @default 120000 */
  drainTimeout?: number;
  /** Milliseconds the health check may take. @default 10000 */
  healthTimeout?: number;
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
 * Registers the `llm` service on `runtime` and returns its handle; the next reload builds it.
 * @example
 * const llm = registerLlmService(runtime, { config });
 * await runtime.reload();
 * const dialogue = new DialogueManager(llm);
 * for await (const chunk of dialogue.replyStream('alice', 'hello')) process.stdout.write(chunk);
 */
export function registerLlmService(
  runtime: Runtime,
  options: LlmServiceOptions,
): ServiceHandle<ChatClient> {
  const { config } = options;
  const key = options.key ?? 'llm';
  return runtime.service<ChatClient>(options.name ?? 'llm', {
    config,
    configKeys: [`${key}.baseUrl`, `${key}.model`, `${key}.apiKey`, `${key}.timeoutMs`],
    create: (ctx) =>
      new ChatClient(checkLlmSettings(readPath(config.current, key)), ctx.generation),
    healthCheck: (client, ctx) => client.healthCheck(ctx.signal),
    close: (client) => client.close(),
    drainTimeout: options.drainTimeout ?? 120_000,
    timeouts: { health: options.healthTimeout ?? 10_000 },
  });
}
