/**
 * The chat-bot example (examples/chat-bot) run as a real child process for end-to-end tests:
 * copied into a throwaway folder (so tests can edit its commands and its config), started with
 * `node --import tsx main.ts <config>`, talking IRC to a test server or to piped stdin.
 */
import { cpSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { type AppDir, createAppDir } from './app-dir.js';
import { type Tracked, track } from './process.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const example = join(repo, 'examples', 'chat-bot');

/** A running copy of the bot. */
export interface BotProcess {
  /** The copy's folder: `app.path('commands/hello.ts')`. */
  readonly app: AppDir;
  readonly process: Tracked;
  /** The config file of the copy. */
  readonly configFile: string;
  /** Rewrites the config file with `config` (the whole file). */
  writeConfig(config: Record<string, unknown>): void;
  /** Stops the bot (SIGTERM: it quits IRC and closes its runtime) and removes the copy. */
  stop(): Promise<void>;
}

/** Copies the example into a fresh folder, without its docs and local settings. */
export function copyBot(): AppDir {
  const app = createAppDir({}, 'hotswap-chat-bot-');
  cpSync(example, app.root, {
    recursive: true,
    filter: (src) => {
      const name = basename(src);
      return !name.endsWith('.md') && !name.endsWith('.d.ts') && !name.includes('.local.');
    },
  });
  return app;
}

/**
 * Starts a copy of the bot with `config` as its config file, and resolves once `ready` shows on
 * `stream` (IRC: the "connected" line on stderr; terminal: the greeting on stdout).
 */
export async function startBot(
  config: Record<string, unknown>,
  ready: { stream: 'stdout' | 'stderr'; line: RegExp },
  options: { tty?: boolean } = {},
): Promise<BotProcess> {
  const app = copyBot();
  const configFile = app.path('bot.config.yaml');
  const writeConfig = (next: Record<string, unknown>): void => {
    app.write({ 'bot.config.yaml': stringify(next) });
  };
  writeConfig(config);
  const argv = [process.execPath, '--import', 'tsx', app.path('main.ts'), configFile];
  const env = { ...process.env, NODE_ENV: 'test', HOTSWAP_LOG_LEVEL: 'warn' };
  // With `tty`, util-linux `script` runs the bot on a pseudo-terminal, as a person's shell would.
  const child = options.tty
    ? track('script', ['-qfec', argv.map(shellQuote).join(' '), '/dev/null'], { cwd: repo, env })
    : track(argv[0]!, argv.slice(1), { cwd: repo, env });
  try {
    await child.waitFor(ready.stream, ready.line);
  } catch (err) {
    app.cleanup();
    throw err;
  }
  return {
    app,
    process: child,
    configFile,
    writeConfig,
    async stop() {
      await child.kill();
      app.cleanup();
    },
  };
}

function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", "'\\''")}'`;
}
