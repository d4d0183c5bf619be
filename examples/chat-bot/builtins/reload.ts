import { defineCommand } from 'hotswap';
import { reportLines } from 'hotswap/chat';
import type { ChatContext } from '../core/types.ts';

// This module is reloaded by the very command it runs: the reply still goes out, because the
// running command keeps its version (its lease) until it returns.
export default defineCommand<ChatContext>({
  binds: ['reload'],
  admin: true,
  help: 'reload the config and every command, then say what changed',
  async run(ctx) {
    const report = await ctx.bot.reload(ctx.sender.mask, 'all', `${ctx.word}`);
    ctx.reply(reportLines(report, 8).join('\n'));
  },
});
