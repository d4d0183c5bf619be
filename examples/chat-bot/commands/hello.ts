import { defineCommand } from 'hotswap';
import type { ChatContext } from '../core/types.ts';

// Edit the reply below and type @reload: the bot answers the new way, still connected.
export default defineCommand<ChatContext>({
  binds: ['hello', 'hi'],
  help: 'say hello',
  run(ctx) {
    ctx.reply(`hello, ${ctx.sender.nick}!`);
  },
});
