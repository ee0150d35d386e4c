import type { Step } from '../context.ts';

export const stopContainer: Step<'stopped'> = {
  name: 'stop-container',
  async run(ctx) {
    return { stopped: await ctx.docker.stopContainer(ctx.workspace.id, ctx.config.stopTimeoutS) };
  },
};
