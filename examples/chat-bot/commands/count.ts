import { defineCommand } from 'hotswap';
import type { ChatContext } from '../core/types.ts';

// State kept in import.meta.hot.data outlives each version of this module: edit the wording
// and @reload, the count goes on.
const data = (import.meta.hot?.data ?? {}) as { count?: number };

export default defineCommand<ChatContext>({
  run(ctx) {
    data.count = (data.count ?? 0) + 1;
    ctx.reply(`counted ${data.count} time${data.count === 1 ? '' : 's'}`);
  },
});
