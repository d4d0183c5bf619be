/**
 * The chat trigger (layer 4): turns a reload asked for in a chat (`@reload`, `@rehash`) into
 * `runtime.reload()`, after checking who asked. It knows no chat protocol: who asked is a string
 * (an IRC `nick!user@host`, a Mattermost user name) matched against glob patterns, plus an
 * optional check of the app's own (an IRC server saying the sender is an operator).
 *
 * A request never carries code: it names units, and the code comes from disk (rule 1). The
 * returned promise settles when the reload is done; a chat client should not await it where it
 * reads messages, so the conversation goes on while the runtime reloads.
 *
 * Import it from `hotswap/chat`: the core entry does not load triggers.
 */
import { HotswapError } from '../errors.js';
import type { ReloadReport } from '../runtime/report.js';
import type { Runtime } from '../runtime/runtime.js';
import type { UnitKind } from '../units/unit.js';

/** Options of {@link createChatTrigger}. */
export interface ChatTriggerOptions {
  /**
   * Who may reload: glob patterns (`*` any run, `?` one character) matched without case against
   * who asked, e.g. `alice!*@*` or `*!*@10.0.0.*`. A function is read at each request, so a
   * reloaded config takes effect at once. @default []
   */
  admins?: readonly string[] | (() => readonly string[]);
  /**
   * Asked when no pattern matches: another way to be an admin (e.g. the IRC server reports the
   * sender as an operator). A throw counts as no.
   */
  isAdmin?(by: string): boolean | PromiseLike<boolean>;
}

/** Options of {@link ChatTrigger.reload}. */
export interface ChatReloadOptions {
  /** Units to reload (their dependents come too). @default every unit */
  units?: string | readonly string[];
  /** Shown in the report, e.g. the command typed (`@rehash`). */
  detail?: string;
}

/** A chat trigger. Create with {@link createChatTrigger}. */
export interface ChatTrigger {
  /** Whether `by` may reload. */
  isAdmin(by: string): Promise<boolean>;
  /**
   * Reloads on behalf of `by` (trigger kind `chat`) and resolves the report, which is never a
   * rejection for a failed reload. Rejects with `HS_ERR_TRIGGER_DENIED` when `by` is no admin:
   * then nothing was asked of the runtime.
   */
  reload(by: string, options?: ChatReloadOptions): Promise<ReloadReport>;
}

/**
 * Whether `value` matches the glob `pattern` (`*` any run, `?` one character), without case.
 * @example
 * matchMask('alice!*@*.example.org', 'Alice!~al@host.example.org'); // true
 */
export function matchMask(pattern: string, value: string): boolean {
  const source = [...pattern]
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.+()[\]{}|]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 'is').test(value);
}

/**
 * The lines of a report for a chat: its headline, with what changed in the units of `kinds`
 * (`commands: added weather; removed roll`), then one bullet per failure; cut to `max` lines
 * with a last line saying how many were left out.
 * @example
 * for (const line of reportLines(report, 5)) client.say(channel, line);
 */
export function reportLines(
  report: Pick<ReloadReport, 'summary' | 'units'>,
  max = 10,
  kinds: readonly UnitKind[] = ['commands'],
): string[] {
  const [headline = '', ...bullets] = report.summary.split('\n');
  const changes = report.units
    .filter((unit) => kinds.includes(unit.kind))
    .map((unit) => {
      const outcomes = new Map<string, string[]>();
      for (const part of unit.parts ?? []) {
        if (part.outcome === 'failed') continue; // a bullet says it
        outcomes.set(part.outcome, [...(outcomes.get(part.outcome) ?? []), part.name]);
      }
      const list = [...outcomes].map(([outcome, names]) => `${outcome} ${names.join(', ')}`);
      return list.length > 0 ? `${unit.name}: ${list.join('; ')}` : '';
    })
    .filter(Boolean);
  const lines = [
    changes.length > 0 ? `${headline} (${changes.join(' | ')})` : headline,
    ...bullets,
  ];
  if (lines.length <= max) return lines;
  const kept = lines.slice(0, Math.max(1, max - 1));
  return [...kept, `… ${lines.length - kept.length} more (see the logs)`];
}

/**
 * Creates a chat trigger for `runtime`.
 * @example
 * import { createChatTrigger } from 'hotswap/chat';
 * const chat = createChatTrigger(runtime, { admins: () => config.current.admins });
 * // in the message handler, without awaiting there:
 * void chat.reload(`${nick}!${user}@${host}`, { detail: '@reload' })
 *   .then((report) => reply(report.summary), (err) => reply(err.message));
 */
export function createChatTrigger(runtime: Runtime, options: ChatTriggerOptions = {}): ChatTrigger {
  const patterns = (): readonly string[] => {
    const admins = options.admins ?? [];
    return typeof admins === 'function' ? admins() : admins;
  };
  const isAdmin = async (by: string): Promise<boolean> => {
    if (patterns().some((pattern) => matchMask(pattern, by))) return true;
    if (options.isAdmin === undefined) return false;
    try {
      return (await options.isAdmin(by)) === true;
    } catch {
      return false;
    }
  };
  return {
    isAdmin,
    async reload(by, reloadOptions = {}) {
      if (!(await isAdmin(by))) {
        throw new HotswapError(
          'HS_ERR_TRIGGER_DENIED',
          `${by} may not reload${reloadOptions.detail ? ` (${reloadOptions.detail})` : ''}`,
          { hint: 'admins are set by hostmask patterns (or as the server reports operators)' },
        );
      }
      return runtime.reload({
        trigger: {
          kind: 'chat',
          by,
          ...(reloadOptions.detail === undefined ? {} : { detail: reloadOptions.detail }),
        },
        ...(reloadOptions.units === undefined ? {} : { units: reloadOptions.units }),
      });
    },
  };
}
