import { defineCommand } from 'hotswap';
import { reportLines } from 'hotswap/chat';
import type { ChatContext } from '../core/types.ts';

export default defineCommand<ChatContext>({
  binds: ['rehash'],
  admin: true,
  help: 're-read the config only (server and nick changes wait for a restart)',
  async run(ctx) {
    const report = await ctx.bot.reload(ctx.sender.mask, 'config', `${ctx.word}`);
    ctx.reply(reportLines(report, 8).join('\n'));
  },
});
