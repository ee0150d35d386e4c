import type { Step } from '../context.ts';
import { runtimeOf } from './volume-content.ts';

/** Create the workspace's container if it is missing (one an older Dockyard made is made anew with the installation label). */
export const createContainer: Step = {
  name: 'create-container',
  async run(ctx) {
    const outcome = await ctx.docker.ensureContainer({ workspaceId: ctx.workspace.id, runtime: runtimeOf(ctx), env: ctx.workspace.env });
    if (outcome === 'relabelled') {
      await ctx.note(`container made anew with this installation's label (an older Dockyard made it without one)`, ctx.action.cause);
    }
  },
};
