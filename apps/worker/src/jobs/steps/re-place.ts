import { rePlaceMoved } from '@dockyard/shared';
import type { Step } from '../context.ts';

/** Move: place the workspace on another host; what comes next (its restart, with the copied config) runs there. */
export const rePlace: Step<'movedTo' | 'wantsRunning'> = {
  name: 're-place',
  async run(ctx) {
    const actions = { pool: ctx.pool, queues: ctx.queues, timing: ctx.config.timing, log: ctx.log };
    return rePlaceMoved(actions, ctx.fence, {
      from: ctx.config.host.name,
      cause: ctx.action.cause,
      strategy: ctx.config.placement,
      hostLabels: ctx.config.runtimes.runtimes[ctx.workspace.runtime]?.hostLabels,
    });
  },
};
