/**
 * The humans of an IRC test: irc-framework clients that record everything they see (messages,
 * notices, joins, parts, quits) and let a test wait for an event instead of sleeping.
 */
import irc, { type Client } from 'irc-framework';

/** Something a person saw on IRC. */
export interface IrcEvent {
  type: 'privmsg' | 'notice' | 'join' | 'part' | 'quit' | 'kick' | 'nick' | 'raw';
  /** Who did it (the sender, the one joining or quitting). */
  nick: string;
  /** Channel or nick it was addressed to. */
  target: string;
  /** Message text, or the raw line for `raw`. */
  text: string;
}

/** One IRC user driven by a test. */
export interface IrcPerson {
  readonly nick: string;
  readonly client: Client;
  /** Everything seen so far, in order. */
  readonly events: readonly IrcEvent[];
  /** Index of the next event: wait for events after a point with `waitFor(match, mark())`. */
  mark(): number;
  /** Resolves the first event at or after `from` that matches (seen already, or to come). */
  waitFor(match: (event: IrcEvent) => boolean, from?: number, what?: string): Promise<IrcEvent>;
  /** Resolves the first message from `from` to `target` at or after `since` whose text matches. */
  reply(from: string, pattern: RegExp, since?: number): Promise<string>;
  say(target: string, text: string): void;
  /** Joins and resolves once the server confirms. */
  join(channel: string): Promise<void>;
  /** Becomes an IRC operator (OPER) and resolves once the server confirms. */
  oper(name: string, password: string): Promise<void>;
  /** Quits and resolves once the connection is closed. */
  quit(): Promise<void>;
}

const people = new Set<IrcPerson>();

/** Connects `nick` to the server and resolves once registered. */
export function connectPerson(
  server: { host: string; port: number },
  nick: string,
): Promise<IrcPerson> {
  const client = new irc.Client({ auto_reconnect: false, ping_interval: 0, ping_timeout: 0 });
  const events: IrcEvent[] = [];
  const waiters = new Set<{
    match: (e: IrcEvent) => boolean;
    from: number;
    resolve: (e: IrcEvent) => void;
  }>();
  let closed = false;
  const closeWaiters = new Set<(err: Error) => void>();
  const push = (event: IrcEvent): void => {
    events.push(event);
    for (const w of [...waiters]) {
      if (events.length - 1 >= w.from && w.match(event)) {
        waiters.delete(w);
        w.resolve(event);
      }
    }
  };
  const text = (type: IrcEvent['type']) => (e: { nick: string; target: string; message: string }) =>
    push({ type, nick: e.nick, target: e.target, text: e.message });
  client.on('privmsg', text('privmsg'));
  client.on('notice', text('notice'));
  client.on('join', (e: { nick: string; channel: string }) =>
    push({ type: 'join', nick: e.nick, target: e.channel, text: '' }),
  );
  client.on('part', (e: { nick: string; channel: string; message?: string }) =>
    push({ type: 'part', nick: e.nick, target: e.channel, text: e.message ?? '' }),
  );
  client.on('quit', (e: { nick: string; message?: string }) =>
    push({ type: 'quit', nick: e.nick, target: '', text: e.message ?? '' }),
  );
  client.on('kick', (e: { nick: string; kicked: string; channel: string }) =>
    push({ type: 'kick', nick: e.kicked, target: e.channel, text: e.nick }),
  );
  client.on('nick', (e: { nick: string; new_nick: string }) =>
    push({ type: 'nick', nick: e.nick, target: e.new_nick, text: '' }),
  );
  client.on('raw', (e: { line: string; from_server: boolean }) => {
    if (e.from_server) push({ type: 'raw', nick: '', target: '', text: e.line });
  });
  client.on('close', () => {
    closed = true;
    for (const fail of closeWaiters) fail(new Error(`${nick}: the IRC connection closed`));
  });

  const person: IrcPerson = {
    nick,
    client,
    events,
    mark: () => events.length,
    waitFor(match, from = 0, what = 'an event') {
      const seen = events.slice(from).find(match);
      if (seen) return Promise.resolve(seen);
      if (closed) return Promise.reject(new Error(`${nick}: closed before ${what}`));
      return new Promise<IrcEvent>((resolve, reject) => {
        const fail = (err: Error) => reject(new Error(`${err.message} before ${what}`));
        closeWaiters.add(fail);
        waiters.add({
          match,
          from,
          resolve: (e) => {
            closeWaiters.delete(fail);
            resolve(e);
          },
        });
      });
    },
    async reply(from, pattern, since = 0) {
      const event = await person.waitFor(
        (e) =>
          (e.type === 'privmsg' || e.type === 'notice') && e.nick === from && pattern.test(e.text),
        since,
        `a message from ${from} matching ${pattern}`,
      );
      return event.text;
    },
    say: (target, message) => client.say(target, message),
    async join(channel) {
      const from = events.length;
      client.join(channel);
      await person.waitFor(
        (e) => e.type === 'join' && e.nick === nick && e.target === channel,
        from,
        `JOIN ${channel}`,
      );
    },
    async oper(name, password) {
      const from = events.length;
      client.raw('OPER', name, password);
      await person.waitFor((e) => e.type === 'raw' && / 381 /.test(e.text), from, 'RPL_YOUREOPER');
    },
    quit() {
      people.delete(person);
      if (closed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        closeWaiters.add(() => resolve());
        client.quit('bye');
      });
    },
  };
  people.add(person);

  return new Promise<IrcPerson>((resolve, reject) => {
    client.once('registered', () => resolve(person));
    closeWaiters.add(reject);
    client.connect({
      host: server.host,
      port: server.port,
      nick,
      username: nick,
      gecos: `${nick} (test)`,
    });
  });
}

/** Quits every person still connected (call from afterEach/afterAll). */
export async function quitAll(): Promise<void> {
  await Promise.all([...people].map((p) => p.quit()));
}
