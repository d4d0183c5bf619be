import { defineCommand } from 'hotswap';
import type { ChatContext } from '../../core/types.ts';
import { parseDice, roll } from './dice.ts';

// A command as a folder: index.ts is the command, dice.ts a helper only it uses. Editing the
// helper reloads this command too.
export default defineCommand<ChatContext>({
  binds: ['roll', 'dice'],
  help: 'roll dice: roll 2d6',
  usage: '[NdM]',
  run(ctx) {
    const dice = parseDice(ctx.args[0] ?? '1d6');
    if (!dice) {
      ctx.reply('usage: roll NdM, e.g. roll 2d6');
      return;
    }
    const rolls = roll(dice);
    ctx.reply(
      `${dice.count}d${dice.sides}: ${rolls.join(' + ')} = ${rolls.reduce((a, b) => a + b, 0)}`,
    );
  },
});
