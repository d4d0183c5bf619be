/**
 * The bot's configuration: its schema (valibot, any Standard Schema works), read by the config
 * unit from `bot.config.yaml` (plus `bot.config.local.yaml` and `BOT_*` environment variables).
 * Keys that only a restart can apply (which server, which nick) are listed in `restartRequired`:
 * `@rehash` reports them and keeps the live values.
 */
import * as v from 'valibot';

const word = v.pipe(v.string(), v.minLength(1), v.regex(/^\S+$/, 'no spaces'));
const count = (min: number) => v.pipe(v.number(), v.integer(), v.minValue(min));

/** The schema of `bot.config.yaml`; every key has a default. */
export const botConfigSchema = v.object({
  /** Where the bot talks: `terminal` (this shell) or `irc`. */
  adapter: v.optional(v.picklist(['terminal', 'irc']), 'terminal'),
  /** What starts a command in a channel (`!hello`). In a direct conversation it is optional. */
  prefix: v.optional(word, '!'),
  /** A second prefix, the one the lifecycle commands are known by (`@reload`). */
  adminPrefix: v.optional(word, '@'),
  admins: v.optional(
    v.object({
      /** Hostmask patterns of admins: `alice!*@*`, `*!*@10.0.0.*`. */
      masks: v.optional(v.array(v.string()), []),
      /** IRC operators (as the server reports them in WHOIS) are admins too. */
      operators: v.optional(v.boolean(), true),
    }),
    {},
  ),
  irc: v.optional(
    v.object({
      host: v.optional(v.string(), '127.0.0.1'),
      port: v.optional(count(1), 6667),
      tls: v.optional(v.boolean(), false),
      nick: v.optional(word, 'hotbot'),
      username: v.optional(word, 'hotbot'),
      realname: v.optional(v.string(), 'hotswap demo bot'),
      /** Channels to be in; a change is applied live (join, part). */
      channels: v.optional(v.array(word), ['#hotswap']),
      /** Lines the bot may send at once before it paces itself (servers kill floods). */
      sendBurst: v.optional(count(1), 5),
      /** Milliseconds between lines once the burst is spent. */
      sendEveryMs: v.optional(count(0), 700),
    }),
    {},
  ),
  terminal: v.optional(
    v.object({
      /** Your nick in the terminal. */
      nick: v.optional(word, 'you'),
      /** Whoever types in the terminal is an admin (it is their process). */
      admin: v.optional(v.boolean(), true),
    }),
    {},
  ),
  /** Per-user flood protection: a token bucket of `burst` commands, one back every `refillSeconds`. */
  flood: v.optional(
    v.object({
      burst: v.optional(count(1), 5),
      refillSeconds: v.optional(v.pipe(v.number(), v.minValue(0)), 3),
    }),
    {},
  ),
  /** Chat lines remembered (for `!last`). */
  history: v.optional(v.object({ size: v.optional(count(1), 200) }), {}),
  /** A timed message to every channel; `every: 0` turns it off. */
  announce: v.optional(
    v.object({
      every: v.optional(v.pipe(v.number(), v.minValue(0)), 0),
      message: v.optional(v.string(), 'I am a hotswap demo: try !help'),
    }),
    {},
  ),
  /** Log level of the runtime (pino), on stderr; applied live. */
  log: v.optional(
    v.object({
      level: v.optional(v.picklist(['trace', 'debug', 'info', 'warn', 'error', 'silent']), 'warn'),
    }),
    {},
  ),
});

/** The bot's configuration, as `config.current` has it. */
export type BotConfig = v.InferOutput<typeof botConfigSchema>;

/** Keys only a restart applies: reported by `@rehash`, never half applied. */
export const restartRequired: readonly string[] = [
  'adapter',
  'irc.host',
  'irc.port',
  'irc.tls',
  'irc.nick',
  'irc.username',
  'irc.realname',
];
