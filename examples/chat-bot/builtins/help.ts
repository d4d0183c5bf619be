import { defineCommand } from 'hotswap';
import type { ChatContext } from '../core/types.ts';

export default defineCommand<ChatContext>({
  binds: ['help', 'commands'],
  help: 'list the commands, or tell about one: help <command>',
  usage: '[command]',
  run(ctx) {
    const table = ctx.bot.commands.handle.current;
    const { prefix, adminPrefix } = ctx.bot.config();
    const asked = ctx.args[0]?.replace(/^\W+/, '');
    if (asked) {
      const command = table.get(asked) ?? table.lookup(asked);
      if (!command) {
        const near = table.suggest(asked);
        ctx.reply(`no command ${asked}${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`);
        return;
      }
      const lead = command.admin ? adminPrefix : prefix;
      const usage = command.usage ? ` ${command.usage}` : '';
      const limits = command.channels ? `; only in ${command.channels.join(', ')}` : '';
      ctx.reply(
        `${lead}${command.binds[0] ?? command.name}${usage}: ${command.help ?? 'no help'} (binds: ${command.binds.join(', ') || 'none'}${limits}${command.admin ? '; admins only' : ''})`,
      );
      return;
    }
    const here = table.list().filter((c) => c.allows(ctx.channel) && c.binds.length > 0);
    const words = (admin: boolean, lead: string) =>
      here
        .filter((c) => c.admin === admin)
        .map((c) => `${lead}${c.binds[0]}`)
        .join(' ');
    // In a direct conversation (the terminal, a query) no prefix is needed.
    ctx.reply(`commands: ${words(false, ctx.channel ? prefix : '')}`);
    ctx.reply(`admins: ${words(true, adminPrefix)} — help <command> tells more`);
  },
});
