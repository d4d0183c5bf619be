/**
 * A dependent of the `llm` service: asks the model which tool answers a request, then runs it.
 * It holds the service's handle, never a client: each dispatch leases the live client for the
 * whole exchange, so a swap meanwhile lets it finish on the client it started with, and the
 * next dispatch uses the new one. Nothing to rewire by hand.
 */
import type { Handle } from 'hotswap';
import type { ChatClient, ToolSpec } from './chat-client.js';

/** A tool the model can pick. */
export interface Tool {
  /** What it does (shown to the model). */
  description: string;
  /** JSON schema of its arguments. @default an object with a `text` string */
  parameters?: Record<string, unknown>;
  /** Runs it. */
  run(args: Record<string, unknown>): unknown;
}

/** What one dispatch did. */
export interface Dispatch {
  /** The tool the model picked, or undefined when it answered in text. */
  tool: string | undefined;
  /** The tool's result, or the model's text. */
  result: unknown;
  /** The model that decided. */
  model: string;
}

/** Routes requests to tools through the live LLM client. */
export class ToolDispatcher {
  readonly #llm: Handle<ChatClient>;
  readonly #tools: Record<string, Tool>;

  constructor(llm: Handle<ChatClient>, tools: Record<string, Tool>) {
    this.#llm = llm;
    this.#tools = tools;
  }

  /** Asks the model to pick a tool for `request`, runs it, returns what happened. */
  dispatch(request: string, signal?: AbortSignal): Promise<Dispatch> {
    const specs: ToolSpec[] = Object.entries(this.#tools).map(([name, tool]) => ({
      type: 'function',
      function: {
        name,
        description: tool.description,
        parameters: tool.parameters ?? {
          type: 'object',
          properties: { text: { type: 'string' } },
          required: ['text'],
        },
      },
    }));
    return this.#llm.withLease(async (client) => {
      const completion = await client.complete(
        [
          { role: 'system', content: 'Pick the tool that answers the request.' },
          { role: 'user', content: request },
        ],
        { tools: specs, ...(signal ? { signal } : {}) },
      );
      const message = completion.choices[0]?.message;
      const call = message?.tool_calls?.[0];
      if (call === undefined) {
        return { tool: undefined, result: message?.content ?? '', model: client.model };
      }
      const tool = this.#tools[call.function.name];
      if (tool === undefined)
        throw new Error(`the model picked an unknown tool: ${call.function.name}`);
      const args = JSON.parse(call.function.arguments || '{}') as Record<string, unknown>;
      return { tool: call.function.name, result: await tool.run(args), model: client.model };
    });
  }
}
