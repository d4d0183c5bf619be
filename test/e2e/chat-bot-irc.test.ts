/**
 * The chat-bot example against a real IRC server (Debian's ngircd on 127.0.0.1), the bot in a
 * child process, people played by irc-framework clients. Each test starts its own server and
 * bot and stops them. Every wait is for an IRC event or a line: no sleeps.
 *
 * The bot's connection must outlive every reload: a reload that reconnected would show the
 * other clients a QUIT and a JOIN, which each test checks for.
 */
import { readFileSync, rmSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from '../helpers/build-once.js';
import { type BotProcess, startBot } from '../helpers/irc-bot.js';
import { connectPerson, type IrcPerson, quitAll } from '../helpers/irc-client.js';
import { type Ngircd, ngircdAvailability, startNgircd } from '../helpers/ngircd.js';
import { killAll } from '../helpers/process.js';

const ngircd = ngircdAvailability();
if (!ngircd.available) {
  console.warn(`\n!!! chat-bot IRC suite SKIPPED: ${ngircd.reason}\n`);
}

const CHAN = '#hotswap';
const BOT = 'hotbot';
let server: Ngircd | undefined;
let bot: BotProcess | undefined;

beforeAll(() => buildOnce(['dist/index.js', 'dist/triggers/chat.js']), 120_000);

afterEach(async () => {
  await quitAll();
  await bot?.stop();
  await server?.stop();
  await killAll();
  bot = undefined;
  server = undefined;
});

function config(srv: Ngircd, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    adapter: 'irc',
    prefix: '!',
    adminPrefix: '@',
    admins: { masks: ['alice!*@*'], operators: true },
    irc: {
      host: srv.host,
      port: srv.port,
      nick: BOT,
      channels: [CHAN],
      sendBurst: 100,
      sendEveryMs: 10,
    },
    flood: { burst: 50, refillSeconds: 1 },
    log: { level: 'warn' },
    ...extra,
  };
}

/** Starts a server, people in the channel, then the bot; resolves once everyone saw it join. */
async function scene<T extends readonly string[]>(
  nicks: T,
  extra: Record<string, unknown> = {},
): Promise<{ [K in keyof T]: IrcPerson }> {
  server = await startNgircd();
  const people: IrcPerson[] = [];
  for (const nick of nicks) {
    const person = await connectPerson(server, nick);
    await person.join(CHAN);
    people.push(person);
  }
  bot = await startBot(config(server, extra), {
    stream: 'stderr',
    line: /connected to 127\.0\.0\.1:\d+ as hotbot/,
  });
  for (const person of people) {
    await person.waitFor((e) => e.type === 'join' && e.nick === BOT && e.target === CHAN);
  }
  return people as { [K in keyof T]: IrcPerson };
}

/** Says `text` in the channel; returns the event index to wait for the answer from. */
function ask(person: IrcPerson, text: string): number {
  const mark = person.mark();
  person.say(CHAN, text);
  return mark;
}

/** The bot's messages to the channel that `person` saw since `from`. */
function botSaid(person: IrcPerson, from: number): string[] {
  return person.events
    .slice(from)
    .filter((e) => e.type === 'privmsg' && e.nick === BOT && e.target === CHAN)
    .map((e) => e.text);
}

/** Joins, parts, quits or nick changes of the bot that `person` saw since `from`. */
function churn(person: IrcPerson, from: number): string[] {
  return person.events
    .slice(from)
    .filter((e) => e.nick === BOT && ['join', 'part', 'quit', 'kick', 'nick'].includes(e.type))
    .map((e) => `${e.type} ${e.target} ${e.text}`);
}

function edit(file: string, change: (source: string) => string): void {
  bot!.app.write({ [file]: change(readFileSync(bot!.app.path(file), 'utf8')) });
}

describe.skipIf(!ngircd.available)('chat bot on IRC (real ngircd)', () => {
  it('1. admin @reload after a command was edited: the channel sees the new behaviour over the same connection', async () => {
    const [wendy, alice] = await scene(['wendy', 'alice'] as const);
    const since = wendy.mark();
    let m = ask(alice, '!hello');
    await alice.reply(BOT, /^alice: hello, alice!$/, m);
    m = ask(alice, '@status');
    const before = await alice.reply(BOT, /connected since/, m);
    await alice.reply(BOT, /^alice: channels: #hotswap \(3 users\)$/, m);

    edit('commands/hello.ts', (s) => s.replace('hello, ', 'howdy, '));
    m = ask(alice, '@reload');
    const report = await alice.reply(BOT, /^alice: reload #\d+/, m);
    expect(report).toMatch(/reload #2 \(chat by alice!~?alice@127\.0\.0\.1: reload\): .*refreshed/);
    expect(report).toContain('commands: refreshed hello');

    m = ask(alice, '!hello');
    await alice.reply(BOT, /^alice: howdy, alice!$/, m);
    await wendy.reply(BOT, /^alice: howdy, alice!$/, since);
    m = ask(alice, '@status');
    const after = await alice.reply(BOT, /connected since/, m);
    await alice.reply(BOT, /^alice: channels: #hotswap \(3 users\)$/, m);
    const connectedAt = (line: string) => /connected since (\S+)/.exec(line)?.[1];
    expect(connectedAt(after)).toBe(connectedAt(before));
    expect(churn(wendy, since)).toEqual([]);
    expect(bot!.process.child.exitCode).toBeNull();
  });

  it('2. a non-admin @reload or @rehash is denied and changes nothing', async () => {
    const [alice, bob] = await scene(['alice', 'bob'] as const);
    let m = ask(alice, '@status');
    const units = await alice.reply(BOT, /^alice: units: /, m);
    const reloads = await alice.reply(BOT, /^alice: commands: .*reloads: \d+$/, m);

    edit('commands/hello.ts', (s) => s.replace('hello, ', 'HACKED '));
    bot!.writeConfig(config(server!, { prefix: '?' }));
    m = ask(bob, '@reload');
    await bob.reply(BOT, /^bob: permission denied: reload is for admins$/, m);
    m = ask(bob, '@rehash');
    await bob.reply(BOT, /^bob: permission denied: rehash is for admins$/, m);
    m = ask(bob, '!hello');
    await bob.reply(BOT, /^bob: hello, bob!$/, m);

    m = ask(alice, '@status');
    expect(await alice.reply(BOT, /^alice: units: /, m)).toBe(units);
    expect(await alice.reply(BOT, /^alice: commands: .*reloads: \d+$/, m)).toBe(reloads);
    expect(units).toMatch(/config g1, code g1, commands g1, announcer g1 \(running\)$/);
  });

  it('3. @rehash after the prefix changed: the new prefix works; flood and chat history survive', async () => {
    const [alice, carol] = await scene(['alice', 'carol'] as const, {
      flood: { burst: 2, refillSeconds: 3600 },
    });
    carol.say(CHAN, 'remember line 42');
    let m = ask(carol, '!echo one');
    await carol.reply(BOT, /^carol: one$/, m);
    m = ask(carol, '!echo two');
    await carol.reply(BOT, /^carol: two$/, m);
    m = ask(carol, '!echo three');
    await carol.reply(BOT, /^carol: slow down: your next command in \d+s$/, m);
    m = ask(alice, '@status');
    const flood = await alice.reply(BOT, /^alice: flood: /, m);
    expect(flood).toMatch(/flood: 1 users tracked, 1 held back; history: \d+ lines/);

    bot!.writeConfig(config(server!, { prefix: '?', flood: { burst: 2, refillSeconds: 3600 } }));
    m = ask(alice, '@rehash');
    const report = await alice.reply(BOT, /^alice: reload #\d+/, m);
    expect(report).toMatch(/rehash\): .*1 refreshed/);

    // Same connection, in order: had `!` still worked, `old` would be answered before `new`.
    m = ask(alice, '!echo old');
    alice.say(CHAN, '?echo new');
    await alice.reply(BOT, /^alice: new$/, m);
    expect(botSaid(alice, m)).toEqual(['alice: new']);

    m = ask(alice, '?last 10');
    await alice.reply(BOT, /<carol> remember line 42$/, m);
    m = ask(alice, '@status');
    const floodAfter = await alice.reply(BOT, /^alice: flood: /, m);
    expect(floodAfter).toMatch(/flood: 1 users tracked, 1 held back/);
    const lines = (line: string) => Number(/history: (\d+) lines/.exec(line)?.[1]);
    expect(lines(floodAfter)).toBeGreaterThan(lines(flood));
  });

  it('4. a syntax error and a throwing body: both reported with file:line, both keep their old behaviour, the rest reloads', async () => {
    const [alice] = await scene(['alice'] as const);
    let m = ask(alice, '!count');
    await alice.reply(BOT, /^alice: counted 1 time$/, m);

    let syntaxLine = 0;
    edit('commands/echo.ts', (s) => {
      const lines = s.split('\n');
      syntaxLine = lines.findIndex((l) => l.includes('ctx.reply(')) + 1;
      lines[syntaxLine - 1] = "    ctx.reply(ctx.rest ||| 'x');";
      return lines.join('\n');
    });
    edit('commands/hello.ts', (s) =>
      s.replace(
        "import type { ChatContext } from '../core/types.ts';\n",
        "import type { ChatContext } from '../core/types.ts';\n\nthrow new Error('hello is broken');\n",
      ),
    );
    edit('commands/count.ts', (s) => s.replace('`counted ', '`tallied '));

    m = ask(alice, '@reload');
    const head = await alice.reply(BOT, /^alice: reload #\d+/, m);
    expect(head).toContain('commands: refreshed count');
    const syntax = await alice.reply(BOT, /^alice: - commands\/echo: /, m);
    expect(syntax).toMatch(/HS_ERR_LOADER_SYNTAX .*commands\/echo\.ts:(\d+)\)$/);
    expect(Number(/echo\.ts:(\d+)\)$/.exec(syntax)?.[1])).toBe(syntaxLine);
    const throws = await alice.reply(BOT, /^alice: - commands\/hello: /, m);
    expect(throws).toMatch(
      /HS_ERR_LOADER_EVALUATE Error: hello is broken \(.*commands\/hello\.ts:4\)$/,
    );

    m = ask(alice, '!echo still here');
    await alice.reply(BOT, /^alice: still here$/, m);
    m = ask(alice, '!hello');
    await alice.reply(BOT, /^alice: hello, alice!$/, m);
    m = ask(alice, '!count');
    await alice.reply(BOT, /^alice: tallied 2 times$/, m);
  });

  it('5. a new command folder is added; a deleted one is removed and its binds no longer answer', async () => {
    const [alice, wendy] = await scene(['alice', 'wendy'] as const);
    const since = wendy.mark();
    let m = ask(alice, '!roll 1d2');
    await alice.reply(BOT, /^alice: 1d2: [12] = [12]$/, m);

    bot!.app.write({
      'commands/weather/index.ts':
        "import { defineCommand } from 'hotswap';\nimport { forecast } from './forecast.ts';\n\nexport default defineCommand({ binds: ['weather'], help: 'the weather', run(ctx: { reply(t: string): void }) { ctx.reply(forecast()); } });\n",
      'commands/weather/forecast.ts': "export const forecast = (): string => 'sunny, always';\n",
    });
    rmSync(bot!.app.path('commands/roll'), { recursive: true });
    m = ask(alice, '@reload');
    const report = await alice.reply(BOT, /^alice: reload #\d+/, m);
    expect(report).toMatch(
      /commands: (added weather; removed roll|removed roll; added weather)\)$/,
    );

    m = ask(alice, '!weather');
    await alice.reply(BOT, /^alice: sunny, always$/, m);
    // In order on one connection: an answer to `!roll` or `!dice` would come before `marker`.
    m = ask(alice, '!roll');
    alice.say(CHAN, '!dice');
    alice.say(CHAN, '!echo marker');
    await alice.reply(BOT, /^alice: marker$/, m);
    expect(botSaid(alice, m)).toEqual(['alice: marker']);
    expect(churn(wendy, since)).toEqual([]);
  });

  it('6. two admins @reload at the same moment: both get a report, and the reloads run one after the other', async () => {
    const [alice, dave] = await scene(['alice', 'dave'] as const);
    // dave is an admin only as an IRC operator (no hostmask pattern matches him).
    await dave.oper(server!.operator.name, server!.operator.password);
    edit('commands/hello.ts', (s) => s.replace('hello, ', 'hey, '));
    const ma = alice.mark();
    const md = dave.mark();
    alice.say(CHAN, '@reload');
    dave.say(CHAN, '@reload');
    const forAlice = await alice.reply(BOT, /^alice: reload #\d+/, ma);
    const forDave = await dave.reply(BOT, /^dave: reload #\d+/, md);
    const id = (line: string) => Number(/reload #(\d+)/.exec(line)?.[1]);
    const ids = new Set([id(forAlice), id(forDave)]);
    if (ids.size === 1) {
      // Both requests waited for the same transaction: it says it merged one.
      expect(`${forAlice} ${forDave}`).toMatch(/\+1 merged/);
    } else {
      expect([...ids].sort()).toEqual([2, 3]);
    }
    const m = ask(alice, '@status');
    const counts = await alice.reply(BOT, /^alice: commands: .*reloads: \d+$/, m);
    expect(counts).toMatch(new RegExp(`reloads: ${1 + ids.size}$`));
    const hello = ask(alice, '!hello');
    await alice.reply(BOT, /^alice: hey, alice!$/, hello);
  });

  it('7. a changed server or nick is reported as needing a restart, not half applied; channels apply live', async () => {
    const [alice, wendy] = await scene(['alice', 'wendy'] as const);
    await wendy.join('#second');
    const since = wendy.mark();
    const current = config(server!);
    bot!.writeConfig({
      ...current,
      irc: {
        ...(current.irc as object),
        nick: 'renamed',
        port: server!.port + 1,
        channels: [CHAN, '#second'],
      },
      // The timed-message worker reads the live config on each round.
      announce: { every: 0.05, message: 'tick tock' },
    });
    const m = ask(alice, '@rehash');
    const report = await alice.reply(BOT, /^alice: reload #\d+/, m);
    expect(report).toMatch(
      /restart required for config \(irc\.(nick, irc\.port|port, irc\.nick)\)/,
    );
    await wendy.waitFor(
      (e) => e.type === 'join' && e.nick === BOT && e.target === '#second',
      since,
    );
    const s = ask(alice, '@status');
    await alice.reply(BOT, /^alice: up \d+ min; irc 127\.0\.0\.1:\d+ as hotbot, connected/, s);
    await wendy.waitFor(
      (e) =>
        e.type === 'privmsg' && e.nick === BOT && e.target === '#second' && e.text === 'tick tock',
      since,
    );
    expect(churn(wendy, since)).toEqual(['join #second ']);
  });

  it('8. the bot keeps answering while a reload is in progress, and @reload answers although it was itself swapped', async () => {
    const [alice] = await scene(['alice'] as const);
    const gate = bot!.app.path('gate');
    // A new command whose module takes until the test opens the gate to load: the reload waits.
    bot!.app.write({
      'commands/slow.ts': `import { existsSync } from 'node:fs';\nwhile (!existsSync(${JSON.stringify(gate)})) await new Promise((r) => setTimeout(r, 20));\nexport default { run(ctx: { reply(t: string): void }) { ctx.reply('slow and loaded'); } };\n`,
    });
    edit('builtins/reload.ts', (s) => s.replace("help: '", "help: '(edited) "));
    const m = ask(alice, '@reload');
    alice.say(CHAN, '!echo during the reload');
    await alice.reply(BOT, /^alice: during the reload$/, m);
    const s = ask(alice, '@status');
    await alice.reply(BOT, /^alice: units: /, s);
    bot!.app.write({ gate: '' });
    const report = await alice.reply(BOT, /^alice: reload #\d+/, m);
    expect(report).toMatch(
      /commands: (added slow; refreshed reload|refreshed reload; added slow)\)$/,
    );
    expect(botSaid(alice, m)[0]).toBe('alice: during the reload');
    const h = ask(alice, '!help reload');
    await alice.reply(BOT, /^alice: @reload: \(edited\) reload the config/, h);
    const slow = ask(alice, '!slow');
    await alice.reply(BOT, /^alice: slow and loaded$/, slow);
  });
});
