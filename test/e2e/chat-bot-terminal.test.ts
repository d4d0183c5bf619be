/**
 * The chat-bot example with its default terminal adapter, driven as a person would: a child
 * process whose input is typed line by line (a pipe, and a pseudo-terminal through `script`),
 * asking `help`, running a command, editing it and typing `@reload`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from '../helpers/build-once.js';
import { type BotProcess, startBot } from '../helpers/irc-bot.js';
import { killAll } from '../helpers/process.js';

let bot: BotProcess | undefined;

beforeAll(() => buildOnce(['dist/index.js', 'dist/triggers/chat.js']), 120_000);

afterEach(async () => {
  await bot?.stop();
  bot = undefined;
  await killAll();
});

const greeting = { stream: 'stdout' as const, line: /^hi, I am hotbot: \d+ commands loaded/ };

/** Types a line; resolves the first stdout line after it that matches. */
async function type(line: string, answer: RegExp): Promise<string> {
  const from = bot!.process.stdout.length;
  bot!.process.child.stdin!.write(`${line}\n`);
  return bot!.process.waitFor('stdout', answer, from);
}

function editHello(from: string, to: string): void {
  const file = bot!.app.path('commands/hello.ts');
  bot!.app.write({ 'commands/hello.ts': readFileSync(file, 'utf8').replace(from, to) });
}

describe('chat bot in a terminal (piped input)', () => {
  it('answers help and commands without a prefix, and @reload swaps an edited command', async () => {
    bot = await startBot({}, greeting);
    expect(await type('help', /^commands: /)).toMatch(/ hello /);
    await bot.process.waitFor('stdout', /^admins: .*@reload/);
    await type('hello', /^hello, you!$/);
    await type('help hello', /^!hello: say hello \(binds: hello, hi\)$/);
    await type('@bind yo hello', /^yo now runs hello/);

    editHello('hello, ', 'howdy, ');
    const report = await type('@reload', /^reload #\d+/);
    expect(report).toMatch(
      /^reload #2 \(chat by you!\S+@terminal: reload\): .* \(commands: refreshed hello\)$/,
    );
    await type('hello', /^howdy, you!$/);
    // The runtime bind outlived the reload.
    await type('yo', /^howdy, you!$/);
    await type('nope', /^unknown command nope; try help$/);

    bot.process.child.stdin!.end();
    expect(await bot.process.exited).toEqual({ code: 0, signal: null });
  });

  it('refuses @reload when the terminal user is no admin, and nothing changes', async () => {
    bot = await startBot({ terminal: { admin: false } }, greeting);
    editHello('hello, ', 'howdy, ');
    await type('@reload', /^permission denied: reload is for admins$/);
    await type('hello', /^hello, you!$/);
  });
});

const hasScript = spawnSync('script', ['--version']).status === 0;
if (!hasScript)
  console.warn('\n!!! chat-bot TTY test SKIPPED: `script` (util-linux) is not installed\n');

describe.skipIf(!hasScript)('chat bot in a terminal (pseudo-terminal)', () => {
  it('prompts, answers and reloads through a real TTY', async () => {
    // `script` gives the bot a pseudo-terminal: readline prompts and redraws as for a person.
    bot = await startBot({}, { stream: 'stdout', line: /hi, I am hotbot/ }, { tty: true });
    await type('hello', /hello, you!/);
    editHello('hello, ', 'howdy, ');
    await type('@reload', /reload #2 .*refreshed hello/);
    await type('hello', /howdy, you!/);
    expect(bot.process.stdout.join('\n')).toContain('you> ');
  });
});
