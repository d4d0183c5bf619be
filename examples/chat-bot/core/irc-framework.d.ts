/** The part of irc-framework (it ships no types) that the bot and its tests use. */
declare module 'irc-framework' {
  import { EventEmitter } from 'node:events';

  /** A user as irc-framework reports one in channel lists and events. */
  export interface IrcUser {
    nick: string;
    ident: string;
    hostname: string;
    modes?: string[];
  }

  /** A PRIVMSG, NOTICE or action. */
  export interface IrcMessageEvent {
    nick: string;
    ident: string;
    hostname: string;
    target: string;
    message: string;
    type: string;
  }

  /** A WHOIS answer; `operator` is set when the server says the user is an IRC operator. */
  export interface IrcWhois {
    nick: string;
    operator?: string;
    error?: string;
  }

  /** A channel the client is in, with its user list kept up to date. */
  export interface IrcChannel {
    name: string;
    users: IrcUser[];
    say(message: string): void;
    part(message?: string): void;
  }

  export class Client extends EventEmitter {
    constructor(options?: Record<string, unknown>);
    user: { nick: string; username: string; host: string };
    connected: boolean;
    connect(options: Record<string, unknown>): void;
    say(target: string, message: string): void;
    notice(target: string, message: string): void;
    join(channel: string, key?: string): void;
    part(channel: string, message?: string): void;
    quit(message?: string): void;
    raw(...args: string[]): void;
    whois(nick: string, callback: (info: IrcWhois) => void): void;
    channel(name: string): IrcChannel;
    changeNick(nick: string): void;
  }

  const irc: { Client: typeof Client };
  export default irc;
}
