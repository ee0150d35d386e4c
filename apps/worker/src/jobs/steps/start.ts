import type { Step } from '../context.ts';

export const startContainer: Step = {
  name: 'start',
  rerun: true, // a job re-run after its worker died must not report online a container that died meanwhile
  async run(ctx) {
    await ctx.docker.startContainer(ctx.workspace.id);
  },
};
