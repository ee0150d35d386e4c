import type { Step } from '../context.ts';

/** Remove: the config volume goes only with `?purge=true`. */
export const purgeVolume: Step<'volumePurged'> = {
  name: 'purge-volume',
  async run(ctx) {
    if (ctx.action.kind !== 'remove' || !ctx.action.purge) return { volumePurged: false };
    return { volumePurged: await ctx.docker.removeVolume(ctx.workspace.id) };
  },
};
