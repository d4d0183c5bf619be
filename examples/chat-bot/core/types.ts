/**
 * The types the bot's core and its command modules share. Command modules import them with
 * `import type` only: the core is stable (loaded once), the commands are hot.
 */
import type { CommandTableUnit, ReloadReport, Runtime } from 'hotswap';
import type { BotConfig } from './config.ts';
import type { ChatHistory } from './history.ts';

/** Who sent a message. */
export interface Sender {
  /** Nickname. */
  readonly nick: string;
  /** `nick!user@host`: what admin patterns are matched against. */
  readonly mask: string;
}

/** A message the bot received. */
export interface ChatMessage {
  /** Increasing id, for history lookups. */
  readonly id: number;
  readonly from: Sender;
  /** The channel it was said in; undefined in a direct conversation (terminal, IRC query). */
  readonly channel: string | undefined;
  readonly text: string;
  /** Epoch milliseconds. */
  readonly at: number;
}

/** What `@status` shows of a connection. */
export interface AdapterStatus {
  /** `terminal` or `irc host:port`. */
  readonly where: string;
  readonly connected: boolean;
  /** The bot's nick. */
  readonly nick: string;
  /** Channels and how many users are in each. */
  readonly channels: readonly { name: string; users: number }[];
  /** When the connection was made (epoch ms); it stays the same across reloads. */
  readonly since: number;
}

/** Where the bot talks. Stable: it is created once, and reloads never touch it. */
export interface Adapter {
  readonly name: 'terminal' | 'irc';
  /** Connects; calls `onMessage` for every message from someone else. */
  start(onMessage: (message: Omit<ChatMessage, 'id' | 'at'>) => void): Promise<void>;
  /** Sends one line to a channel or a nick (paced: never faster than the server allows). */
  say(target: string, line: string): void;
  /** Whether `mask` is an admin by the adapter's own rules (IRC operator, the terminal's user). */
  isAdmin(mask: string): Promise<boolean>;
  /** Whether `mask` is trusted without asking anyone (the terminal's owner): no flood limit. */
  trusted(mask: string): boolean;
  /** Joins and parts so the bot is in exactly `channels` (applied on `@rehash`). */
  setChannels(channels: readonly string[]): void;
  /** Channels the bot is in now. */
  channels(): string[];
  status(): AdapterStatus;
  /** Leaves (IRC: QUIT with `reason`). */
  close(reason: string): Promise<void>;
}

/** What commands reach of the bot: stable services, never a version. */
export interface BotServices {
  readonly runtime: Runtime;
  /** The live configuration (read it at each use: `@rehash` replaces it). */
  config(): BotConfig;
  readonly commands: CommandTableUnit<ChatContext>;
  readonly history: ChatHistory;
  readonly adapter: Adapter;
  /** Epoch ms the process started. */
  readonly startedAt: number;
  /**
   * Reloads on behalf of `by`: `all` (config and code, `@reload`) or `config` (`@rehash`).
   * Rejects with `HS_ERR_TRIGGER_DENIED` for a non-admin.
   */
  reload(by: string, what: 'all' | 'config', detail: string): Promise<ReloadReport>;
  /** Lines for `@status`. */
  status(): string[];
}

/** What a command's `run(ctx)` receives. */
export interface ChatContext {
  readonly message: ChatMessage;
  readonly sender: Sender;
  /** The channel; undefined in a direct conversation. */
  readonly channel: string | undefined;
  /** The word that triggered the command, as typed (without prefix). */
  readonly word: string;
  /** The words after it. */
  readonly args: readonly string[];
  /** Everything after it, as typed. */
  readonly rest: string;
  /** Replies where the message came from (each line sent on its own, `nick: ` in channels). */
  reply(text: string): void;
  readonly bot: BotServices;
}
