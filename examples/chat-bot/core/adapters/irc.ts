/**
 * The IRC adapter, on irc-framework. The connection is the bot's most precious state: it is
 * made once, and no reload touches it (no QUIT, no re-JOIN); the client keeps the nick, the
 * channels and their user lists. Which server and nick to use are restart-required keys; the
 * channel list and the pace of sending apply live.
 */
import irc, { type IrcChannel, type IrcMessageEvent } from 'irc-framework';
import type { BotConfig } from '../config.ts';
import { TokenBuckets } from '../flood.ts';
import type { Adapter } from '../types.ts';

/** Options of {@link createIrcAdapter}. */
export interface IrcOptions {
  /** The live configuration. */
  config(): BotConfig;
  /** Called when the connection is gone for good. */
  onClose(): void;
  /** Where connection events are told. */
  log(line: string): void;
}

const isChannel = (target: string): boolean => /^[#&+!]/.test(target);

/** Creates the IRC adapter; `start()` connects. */
export function createIrcAdapter(options: IrcOptions): Adapter {
  // Read once: changing them takes a restart (they are restart-required keys).
  const { host, port, tls, nick, username, realname } = options.config().irc;
  const client = new irc.Client({ auto_reconnect: false });
  const joined = new Map<string, IrcChannel>();
  const queue: { target: string; line: string }[] = [];
  const pace = new TokenBuckets(limits());
  let since = 0;
  let pumping: NodeJS.Timeout | undefined;
  let closing = false;

  function limits(): { burst: number; refillSeconds: number } {
    const { sendBurst, sendEveryMs } = options.config().irc;
    return { burst: sendBurst, refillSeconds: sendEveryMs / 1000 };
  }

  // Lines go out at the pace the config allows: servers disconnect clients that flood.
  function pump(): void {
    pumping = undefined;
    pace.configure(limits());
    while (queue.length > 0) {
      const wait = pace.delay('out');
      if (wait > 0) {
        pumping = setTimeout(pump, wait);
        return;
      }
      pace.take('out');
      const { target, line } = queue.shift()!;
      client.say(target, line);
    }
  }

  function join(name: string): void {
    if (!joined.has(name.toLowerCase())) joined.set(name.toLowerCase(), client.channel(name));
  }

  return {
    name: 'irc',
    start(onMessage) {
      return new Promise<void>((resolve, reject) => {
        let registered = false;
        client.on('registered', () => {
          registered = true;
          since ||= Date.now();
          for (const channel of options.config().irc.channels) join(channel);
          options.log(`connected to ${host}:${port} as ${client.user.nick}`);
          resolve();
        });
        client.on('nick in use', () => {
          if (!registered) client.changeNick(`${client.user.nick}_`);
        });
        client.on('privmsg', (event: IrcMessageEvent) => {
          if (event.nick === client.user.nick) return;
          onMessage({
            from: { nick: event.nick, mask: `${event.nick}!${event.ident}@${event.hostname}` },
            channel: isChannel(event.target) ? event.target : undefined,
            text: event.message,
          });
        });
        client.on('close', () => {
          if (pumping) clearTimeout(pumping);
          if (!registered) reject(new Error(`cannot connect to IRC at ${host}:${port}`));
          else if (!closing) options.log(`the connection to ${host}:${port} closed`);
          options.onClose();
        });
        client.connect({ host, port, tls, nick, username, gecos: realname });
      });
    },
    say(target, line) {
      queue.push({ target, line });
      if (pumping === undefined) pump();
    },
    async isAdmin(mask) {
      if (!options.config().admins.operators) return false;
      const who = mask.split('!')[0] ?? '';
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 5000);
        client.whois(who, (info) => {
          clearTimeout(timer);
          resolve(Boolean(info.operator));
        });
      });
    },
    trusted: () => false,
    setChannels(channels) {
      const wanted = new Set(channels.map((c) => c.toLowerCase()));
      for (const [key, channel] of joined) {
        if (wanted.has(key)) continue;
        channel.part('not in my config any more');
        joined.delete(key);
      }
      for (const channel of channels) join(channel);
    },
    channels: () => [...joined.values()].map((c) => c.name),
    status: () => ({
      where: `irc ${host}:${port}${tls ? ' (tls)' : ''}`,
      connected: client.connected,
      nick: client.user.nick,
      channels: [...joined.values()].map((c) => ({ name: c.name, users: c.users.length })),
      since,
    }),
    close(reason) {
      closing = true;
      if (!client.connected) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        client.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        client.quit(reason);
      });
    },
  };
}
