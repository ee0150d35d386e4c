import type { Step } from '../context.ts';

export const removeContainer: Step<'containerRemoved'> = {
  name: 'remove-container',
  async run(ctx) {
    return { containerRemoved: await ctx.docker.removeContainer(ctx.workspace.id) };
  },
};
