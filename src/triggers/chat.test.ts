import { describe, expect, it } from 'vitest';
import { isHotswapError } from '../errors.js';
import { createRuntime } from '../runtime/runtime.js';
import { createChatTrigger, matchMask, reportLines } from './chat.js';

describe('matchMask', () => {
  it('matches IRC-style globs without case', () => {
    expect(matchMask('alice!*@*', 'Alice!~al@127.0.0.1')).toBe(true);
    expect(matchMask('*!*@10.0.0.?', 'bob!b@10.0.0.7')).toBe(true);
    expect(matchMask('*!*@10.0.0.?', 'bob!b@10.0.0.17')).toBe(false);
    expect(matchMask('a.b', 'axb')).toBe(false);
    expect(matchMask('[x]', '[X]')).toBe(true);
  });
});

describe('reportLines', () => {
  it('adds what changed in units with parts to the headline, and cuts long summaries', () => {
    expect(reportLines({ summary: 'one line', units: [] })).toEqual(['one line']);
    const units = [
      {
        name: 'commands',
        kind: 'commands',
        parts: [
          { name: 'weather', outcome: 'added' as const },
          { name: 'roll', outcome: 'removed' as const },
          { name: 'echo', outcome: 'failed' as const },
        ],
      },
      { name: 'code', kind: 'code', parts: [{ name: '/app/x.ts', outcome: 'refreshed' as const }] },
    ] as never;
    const summary = ['head', '- a', '- b', '- c', '- d'].join('\n');
    expect(reportLines({ summary, units }, 3)).toEqual([
      'head (commands: added weather; removed roll)',
      '- a',
      '… 3 more (see the logs)',
    ]);
  });
});

describe('createChatTrigger', () => {
  it('reloads for admins (patterns, then the app check) and refuses everyone else', async () => {
    const runtime = createRuntime({ logger: false });
    const live = { admins: ['alice!*@*'] };
    const operators = new Set(['carol!c@h']);
    const chat = createChatTrigger(runtime, {
      admins: () => live.admins,
      isAdmin: (by) => {
        if (by.startsWith('dave')) throw new Error('server gone');
        return operators.has(by);
      },
    });
    const report = await chat.reload('alice!a@h', { detail: '@reload' });
    expect(report.trigger).toEqual({ kind: 'chat', by: 'alice!a@h', detail: '@reload' });
    expect(await chat.isAdmin('carol!c@h')).toBe(true);
    expect(await chat.isAdmin('dave!d@h')).toBe(false);
    const denied = await chat.reload('bob!b@h', { detail: '@rehash' }).catch((err: unknown) => err);
    expect(isHotswapError(denied, 'HS_ERR_TRIGGER_DENIED')).toBe(true);
    expect(runtime.history()).toHaveLength(1);
    live.admins = ['bob!*@*'];
    expect(await chat.isAdmin('bob!b@h')).toBe(true);
    expect(await chat.isAdmin('alice!a@h')).toBe(false);
    await runtime.close();
  });
});
