import { defineCommand } from 'hotswap';
import type { ChatContext } from '../core/types.ts';

export default defineCommand<ChatContext>({
  binds: ['chans'],
  admin: true,
  help: "limit a command to channels (* everywhere, - back to its module's own); kept across reloads",
  usage: '<command> [#channel ... | * | -]',
  run(ctx) {
    const [name, ...channels] = ctx.args;
    if (!name) {
      ctx.reply('usage: chans <command> [#channel ... | * | -]');
      return;
    }
    const { commands } = ctx.bot;
    const command =
      channels.length === 0
        ? commands.handle.current.get(name)
        : commands.setChannels(
            name,
            channels[0] === '*' ? null : channels[0] === '-' ? undefined : channels,
          );
    if (!command) {
      ctx.reply(`no command ${name}`);
      return;
    }
    ctx.reply(`${command.name} answers in ${command.channels?.join(', ') ?? 'every channel'}`);
  },
});
