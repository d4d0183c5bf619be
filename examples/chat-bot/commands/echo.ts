import { defineCommand } from 'hotswap';
import type { ChatContext } from '../core/types.ts';

export default defineCommand<ChatContext>({
  help: 'say it back',
  usage: '<text>',
  run(ctx) {
    ctx.reply(ctx.rest || '(nothing to echo)');
  },
});
