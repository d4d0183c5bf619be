import { defineCommand } from 'hotswap';
import type { ChatContext } from '../core/types.ts';

export default defineCommand<ChatContext>({
  binds: ['unbind'],
  admin: true,
  help: 'unbind a word (a module bind too); kept across reloads',
  usage: '<word>',
  run(ctx) {
    const [word] = ctx.args;
    if (!word) {
      ctx.reply('usage: unbind <word>');
      return;
    }
    ctx.reply(ctx.bot.commands.unbind(word) ? `${word} is unbound` : `nothing is bound to ${word}`);
  },
});
