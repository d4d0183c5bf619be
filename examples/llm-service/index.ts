/**
 * The LLM client showcase: an OpenAI-compatible chat client as a hotswap service, with a tool
 * dispatcher and a dialogue manager that use it through its handle. See docs/services.md.
 */
export type {
  ChatCompletion,
  ChatMessage,
  LlmSettings,
  RequestOptions,
  ToolCall,
  ToolSpec,
} from './chat-client.js';
export { ChatClient, checkLlmSettings, LlmHttpError } from './chat-client.js';
export { DialogueManager } from './dialogue-manager.js';
export type { LlmConfig, LlmServiceOptions } from './llm-service.js';
export { registerLlmService } from './llm-service.js';
export { sseData } from './sse.js';
export type { Dispatch, Tool } from './tool-dispatcher.js';
export { ToolDispatcher } from './tool-dispatcher.js';
