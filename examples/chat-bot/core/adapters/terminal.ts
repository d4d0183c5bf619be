/**
 * The terminal adapter (the default): you chat with the bot in the shell that started it. Every
 * line you type is a direct message, so commands need no prefix (`help`, `hello`, `@reload`).
 * With a TTY it keeps a prompt; with piped input it reads and writes plain lines.
 */
import { userInfo } from 'node:os';
import { createInterface, type Interface } from 'node:readline';
import type { BotConfig } from '../config.ts';
import type { Adapter } from '../types.ts';

/** Options of {@link createTerminalAdapter}. */
export interface TerminalOptions {
  /** The live configuration. */
  config(): BotConfig;
  /** Called when the input ends (Ctrl-D, or the pipe closes). */
  onEnd(): void;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Creates the terminal adapter. */
export function createTerminalAdapter(options: TerminalOptions): Adapter {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const tty = Boolean(output.isTTY) && Boolean((input as { isTTY?: boolean }).isTTY);
  const since = Date.now();
  let rl: Interface | undefined;
  const you = () => options.config().terminal.nick;
  const mask = () => `${you()}!${safeUser()}@terminal`;

  return {
    name: 'terminal',
    async start(onMessage) {
      rl = createInterface({ input, output, terminal: tty });
      rl.setPrompt(`${you()}> `);
      rl.on('line', (line) => {
        if (line.trim() !== '')
          onMessage({ from: { nick: you(), mask: mask() }, channel: undefined, text: line });
        // A command's reply redraws the prompt (see `say`); an empty line gets a new one now.
        if (tty && line.trim() === '') rl?.prompt();
      });
      rl.on('close', () => options.onEnd());
      // Ctrl-C in a TTY reaches readline, not the process: treat it as leaving.
      rl.on('SIGINT', () => rl?.close());
      if (tty) rl.prompt();
    },
    say(_target, line) {
      if (!tty) {
        output.write(`${line}\n`);
        return;
      }
      // Print above the prompt, then redraw the prompt with what was typed so far.
      output.write(`\r\x1b[2K\x1b[36m${options.config().irc.nick}\x1b[0m ${line}\n`);
      rl?.prompt(true);
    },
    async isAdmin(by) {
      return options.config().terminal.admin && by === mask();
    },
    trusted(by) {
      return options.config().terminal.admin && by === mask();
    },
    setChannels() {},
    channels: () => ['terminal'],
    status: () => ({
      where: 'terminal',
      connected: true,
      nick: options.config().irc.nick,
      channels: [],
      since,
    }),
    async close() {
      rl?.close();
    },
  };
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'user';
  }
}
