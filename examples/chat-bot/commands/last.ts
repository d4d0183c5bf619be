import { defineCommand } from 'hotswap';
import type { ChatContext } from '../core/types.ts';

// The history lives in the bot's core, not here: reloading this command keeps every line.
export default defineCommand<ChatContext>({
  binds: ['last', 'history'],
  help: 'the last lines said here',
  usage: '[count]',
  run(ctx) {
    const count = Math.min(10, Math.max(1, Number(ctx.args[0]) || 5));
    const lines = ctx.bot.history.recent(ctx.channel, count, ctx.message.id);
    if (lines.length === 0) {
      ctx.reply('nothing said here yet');
      return;
    }
    for (const m of lines)
      ctx.reply(`[${new Date(m.at).toISOString().slice(11, 19)}] <${m.from.nick}> ${m.text}`);
  },
});
