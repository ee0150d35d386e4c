import type { Step } from '../context.ts';

/** Move: the config volume goes from the old host once its copy is safe in Postgres. */
export const removeVolume: Step<'volumeRemoved'> = {
  name: 'remove-volume',
  async run(ctx) {
    return { volumeRemoved: await ctx.docker.removeVolume(ctx.workspace.id) };
  },
};
