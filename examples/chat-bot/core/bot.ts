/**
 * The bot's core: reads each message, finds its command in the live command table and runs it
 * under a lease, after flood protection and, for admin commands, a check of who asked. Stable:
 * nothing here is reloaded; it reaches the reloadable parts through handles (the command table,
 * the config), so every message sees the live versions and a command in flight finishes on the
 * version it started with.
 *
 * The read loop never waits for a command: `handle()` starts it and returns, so a `@reload` in
 * progress never holds up the conversation.
 */
import type { CommandTableUnit, Config, Runtime } from 'hotswap';
import { createChatTrigger, matchMask } from 'hotswap/chat';
import type { BotConfig } from './config.ts';
import { TokenBuckets } from './flood.ts';
import { ChatHistory } from './history.ts';
import type { Adapter, BotServices, ChatContext, ChatMessage } from './types.ts';

/** What {@link createBot} needs. */
export interface BotOptions {
  runtime: Runtime;
  config: Config<BotConfig>;
  commands: CommandTableUnit<ChatContext>;
  adapter: Adapter;
}

/** The bot: feed it messages. */
export interface Bot {
  readonly services: BotServices;
  /** Handles one message: returns at once, the command runs on its own. */
  handle(message: Omit<ChatMessage, 'id' | 'at'>): void;
  /** Resolves when every command started so far has finished (tests, shutdown). */
  idle(): Promise<void>;
}

/** A command line: the word and what follows it. */
export interface ParsedCommand {
  word: string;
  args: string[];
  rest: string;
}

/**
 * Splits `text` into a command: after one of `prefixes`, or, in a direct conversation, with no
 * prefix at all. Undefined when the text is no command.
 */
export function parseCommand(
  text: string,
  prefixes: readonly string[],
  direct: boolean,
): ParsedCommand | undefined {
  const trimmed = text.trim();
  const prefix = [...prefixes]
    .sort((a, b) => b.length - a.length)
    .find((p) => trimmed.startsWith(p));
  if (prefix === undefined && !direct) return undefined;
  const body = prefix === undefined ? trimmed : trimmed.slice(prefix.length);
  const match = /^(\S+)\s*([\s\S]*)$/.exec(body);
  if (!match) return undefined;
  const rest = match[2] ?? '';
  return { word: match[1] ?? '', args: rest.split(/\s+/).filter(Boolean), rest };
}

/** Creates the bot. */
export function createBot(options: BotOptions): Bot {
  const { runtime, config, commands, adapter } = options;
  const startedAt = Date.now();
  const history = new ChatHistory(config.current.history.size);
  const flood = new TokenBuckets(config.current.flood);
  const chat = createChatTrigger(runtime, {
    admins: () => config.current.admins.masks,
    isAdmin: (by) => adapter.isAdmin(by),
  });
  const running = new Set<Promise<void>>();
  let nextId = 0;

  // Live settings: applied after each commit of the config, never half way.
  config.on('flood', ({ current }) => flood.configure(current.flood));
  config.on('history', ({ current }) => history.resize(current.history.size));
  config.on('irc.channels', ({ current }) => adapter.setChannels(current.irc.channels));
  config.on('log.level', ({ current }) => {
    runtime.log.level = current.log.level;
  });

  const services: BotServices = {
    runtime,
    config: () => config.current as BotConfig,
    commands,
    history,
    adapter,
    startedAt,
    reload: (by, what, detail) =>
      chat.reload(by, { detail, ...(what === 'config' ? { units: config.name } : {}) }),
    status: () => statusLines(services, flood),
  };

  const reply = (message: ChatMessage, text: string): void => {
    const target = message.channel ?? message.from.nick;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      adapter.say(target, message.channel ? `${message.from.nick}: ${line}` : line);
    }
  };

  async function run(message: ChatMessage, parsed: ParsedCommand): Promise<void> {
    // The lease pins the table version (and so each command's version) until the command ends.
    const lease = commands.handle.lease();
    try {
      const command = lease.current.lookup(parsed.word);
      const direct = message.channel === undefined;
      if (command === undefined) {
        if (!direct) return;
        const near = lease.current.suggest(parsed.word);
        reply(
          message,
          `unknown command ${parsed.word}${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; try help`,
        );
        return;
      }
      if (!command.allows(message.channel)) return;
      // Admins by hostmask and the terminal's owner are not limited (no server round trip here).
      const limited =
        !adapter.trusted(message.from.mask) &&
        !config.current.admins.masks.some((pattern) => matchMask(pattern, message.from.mask));
      const token = limited
        ? flood.take(message.from.mask.toLowerCase())
        : { ok: true, warn: false, wait: 0 };
      if (!token.ok) {
        if (token.warn) reply(message, `slow down: your next command in ${token.wait}s`);
        return;
      }
      if (command.admin && !(await chat.isAdmin(message.from.mask))) {
        reply(message, `permission denied: ${parsed.word} is for admins`);
        return;
      }
      const ctx: ChatContext = {
        message,
        sender: message.from,
        channel: message.channel,
        word: parsed.word,
        args: parsed.args,
        rest: parsed.rest,
        reply: (text) => reply(message, text),
        bot: services,
      };
      await command.run(ctx);
    } catch (err) {
      runtime.log.error({ err, command: parsed.word }, 'a command failed');
      reply(message, `${parsed.word} failed: ${(err as Error)?.message ?? String(err)}`);
    } finally {
      lease.release();
    }
  }

  return {
    services,
    handle(raw) {
      const message: ChatMessage = { ...raw, id: ++nextId, at: Date.now() };
      history.add(message);
      const { prefix, adminPrefix } = config.current;
      const parsed = parseCommand(
        message.text,
        [prefix, adminPrefix],
        message.channel === undefined,
      );
      if (parsed === undefined || !commands.handle.ready) return;
      const done = run(message, parsed).finally(() => running.delete(done));
      running.add(done);
    },
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}

/** What `@status` says: one fact per line. */
function statusLines(bot: BotServices, flood: TokenBuckets): string[] {
  const status = bot.runtime.status();
  const link = bot.adapter.status();
  const minutes = Math.round((Date.now() - bot.startedAt) / 60_000);
  const units = status.units
    .map((u) => `${u.name} g${u.generation}${u.state === 'active' ? '' : ` (${u.state})`}`)
    .join(', ');
  const table = bot.commands.handle.current;
  const failed = bot.commands.failures().map((f) => f.name);
  const lines = [
    `up ${minutes} min; ${link.where} as ${link.nick}, ${link.connected ? 'connected' : 'NOT connected'} since ${new Date(link.since).toISOString()}`,
    `channels: ${link.channels.map((c) => `${c.name} (${c.users} users)`).join(', ') || 'none'}`,
    `units: ${units}`,
    `commands: ${table.size}${failed.length ? `, failing: ${failed.join(', ')}` : ''}; reloads: ${status.reloads}`,
    `flood: ${flood.size} users tracked, ${flood.held()} held back; history: ${bot.history.length} lines`,
  ];
  const last = status.lastReport?.summary.split('\n')[0];
  if (last) lines.push(`last: ${last}`);
  return lines;
}
