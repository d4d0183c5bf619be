/**
 * A runnable demo of the LLM client service: a chat on stdin, answers streamed, through a
 * dialogue manager that holds only the service's handle. Edit llm.yaml (model, base URL) and
 * send SIGHUP to swap the client mid-conversation.
 *
 *   npx tsc -p tsconfig.build.json            # the example imports only 'hotswap' (dist/)
 *   LLM_DEMO_LLM__API_KEY=sk-... npx tsx examples/llm-service/main.ts [path/to/llm.yaml]
 *
 * Any OpenAI-compatible endpoint works (OpenAI, Ollama, vLLM, llama.cpp's server, LiteLLM).
 */
import { createInterface } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';
import { createConfig, createRuntime, installSignalTriggers } from 'hotswap';
import { DialogueManager } from './dialogue-manager.js';
import { registerLlmService } from './llm-service.js';

const file = process.argv[2] ?? fileURLToPath(new URL('./llm.yaml', import.meta.url));
const runtime = createRuntime({ name: 'llm-demo' });
const config = runtime.add(
  createConfig({ files: [file], env: false, envPrefix: 'LLM_DEMO_', secrets: ['llm.apiKey'] }),
);
const llm = registerLlmService(runtime, { config });
const first = await runtime.reload();
console.log(first.summary);
if (!first.ok) process.exit(1);

const dialogue = new DialogueManager(llm);
runtime.on('reload-end', ({ report }) => console.log(`\n${report.summary}`));
const stop = installSignalTriggers({
  SIGHUP: async () => {
    await config.reload({ trigger: { kind: 'signal', by: 'SIGHUP' } });
  },
});
console.log(
  `pid ${process.pid}: talk to ${llm.current.model}; kill -HUP ${process.pid} after editing ${file}`,
);

const rl = createInterface({ input: process.stdin, output: process.stdout });
for await (const line of rl) {
  if (line.trim() === '') continue;
  try {
    for await (const chunk of dialogue.replyStream('stdin', line)) process.stdout.write(chunk);
    process.stdout.write('\n');
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
  }
}
await stop();
await runtime.close();
