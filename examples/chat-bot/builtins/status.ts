import { defineCommand } from 'hotswap';
import type { ChatContext } from '../core/types.ts';

export default defineCommand<ChatContext>({
  binds: ['status'],
  admin: true,
  help: 'connection, channels, unit generations, reloads, flood and history',
  run(ctx) {
    ctx.reply(ctx.bot.status().join('\n'));
  },
});
