import type { Step } from '../context.ts';
import { runtimeOf } from './volume-content.ts';

/** Provision: create the config volume (inspect first); says whether this call created it, empty. */
export const createVolume: Step<'volumeCreated'> = {
  name: 'create-volume',
  async run(ctx) {
    runtimeOf(ctx); // unknown runtime fails before anything is created
    return { volumeCreated: await ctx.docker.ensureVolume(ctx.workspace.id) };
  },
};
