import { defineCommand } from 'hotswap';
import type { ChatContext } from '../core/types.ts';

export default defineCommand<ChatContext>({
  binds: ['bind'],
  admin: true,
  help: 'bind a word to a command; kept across reloads',
  usage: '<word> <command>',
  run(ctx) {
    const [word, command] = ctx.args;
    if (!word || !command) {
      ctx.reply('usage: bind <word> <command>');
      return;
    }
    const bound = ctx.bot.commands.bind(word, command);
    ctx.reply(`${word} now runs ${bound.name} (binds: ${bound.binds.join(', ')})`);
  },
});
