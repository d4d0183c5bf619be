/**
 * The hotswap chat bot: `npm start` (terminal), or `adapter: irc` in bot.config.yaml.
 *
 *   node --import tsx examples/chat-bot/main.ts [config file]
 *
 * One runtime holds what can be swapped: the config, the code unit (the command modules' module
 * graph), the command table (builtins/ and commands/) and a timed-message worker. What must
 * survive every reload (the connection, flood buckets, chat history, runtime binds) lives in the
 * core and in the command table unit, which no reload replaces.
 */
import { dirname, join, resolve } from 'node:path';
import {
  createCodeUnit,
  createCommandTable,
  createConfig,
  createRuntime,
  createWorker,
  installSignalTriggers,
} from 'hotswap';
import { createIrcAdapter } from './core/adapters/irc.ts';
import { createTerminalAdapter } from './core/adapters/terminal.ts';
import { createBot } from './core/bot.ts';
import { type BotConfig, botConfigSchema, restartRequired } from './core/config.ts';
import type { Adapter, ChatContext } from './core/types.ts';

const root = import.meta.dirname;
const configFile = resolve(process.argv[2] ?? join(root, 'bot.config.yaml'));
const stderr = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

const runtime = createRuntime({
  name: 'chat-bot',
  logger: { level: process.env.HOTSWAP_LOG_LEVEL ?? 'warn' },
});
const config = runtime.add(
  createConfig({
    files: [configFile],
    cwd: dirname(configFile),
    schema: botConfigSchema,
    restartRequired,
    envPrefix: 'BOT_',
  }),
);
try {
  await config.load({ trigger: { kind: 'startup' } });
} catch (err) {
  stderr(`cannot start: ${(err as Error).message}`);
  process.exit(1);
}
runtime.log.level = config.current.log.level;
const live = (): BotConfig => config.current as BotConfig;

// The command modules are the hot code: builtins/ (lifecycle, admin) and commands/.
const code = runtime.add(createCodeUnit({ root }));
const commands = runtime.add(
  createCommandTable<ChatContext>(code, { dir: ['builtins', 'commands'] }),
);

let stopping: Promise<void> | undefined;
const stop = (reason: string): Promise<void> => {
  stopping ??= (async () => {
    await bot.idle();
    await adapter.close(reason);
    await runtime.close();
    process.exit(0);
  })();
  return stopping;
};

const adapter: Adapter =
  live().adapter === 'irc'
    ? createIrcAdapter({ config: live, onClose: () => void stop('connection closed'), log: stderr })
    : createTerminalAdapter({ config: live, onEnd: () => void stop('bye') });
const bot = createBot({ runtime, config, commands, adapter });

// A timed message: a worker the runtime pauses around every reload and restarts if it dies.
runtime.add(
  createWorker({
    name: 'announcer',
    dependsOn: [config.name],
    async run(ctx) {
      while (!ctx.signal.aborted) {
        const { every, message } = live().announce;
        await ctx.sleep(every > 0 ? every * 1000 : 1000);
        if (every > 0 && adapter.status().connected) {
          for (const channel of adapter.channels()) adapter.say(channel, message);
        }
      }
    },
  }),
);

const first = await runtime.reload({ trigger: { kind: 'startup' } });
if (!first.committed) {
  stderr(first.summary);
  process.exit(1);
}

// Operators' habits: SIGHUP re-reads the config (like @rehash), SIGUSR2 reloads everything.
installSignalTriggers({
  SIGHUP: async () =>
    stderr(
      (await runtime.reload({ units: config.name, trigger: { kind: 'signal', by: 'SIGHUP' } }))
        .summary,
    ),
  SIGUSR2: async () =>
    stderr((await runtime.reload({ trigger: { kind: 'signal', by: 'SIGUSR2' } })).summary),
});
process.once('SIGINT', () => void stop('interrupted'));
process.once('SIGTERM', () => void stop('terminated'));

try {
  await adapter.start((message) => bot.handle(message));
} catch (err) {
  stderr(`cannot start: ${(err as Error).message}`);
  await runtime.close();
  process.exit(1);
}

if (adapter.name === 'terminal') {
  const table = commands.handle.current;
  adapter.say(
    'you',
    `hi, I am ${live().irc.nick}: ${table.size} commands loaded (${first.summary.split('\n')[0]})`,
  );
  for (const line of first.summary.split('\n').slice(1)) adapter.say('you', line);
  adapter.say(
    'you',
    'type help; edit a file in examples/chat-bot/commands/ and type @reload; Ctrl-D quits',
  );
} else {
  stderr(first.summary);
}
