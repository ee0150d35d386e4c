import type { Step } from '../context.ts';

/** Remove: the volumes (config and data) go only with `?purge=true`. */
export const purgeVolume: Step<'volumePurged' | 'dataVolumesPurged'> = {
  name: 'purge-volume',
  async run(ctx) {
    if (ctx.action.kind !== 'remove' || !ctx.action.purge) return { volumePurged: false, dataVolumesPurged: [] };
    const volumePurged = await ctx.docker.removeVolume(ctx.workspace.id);
    return { volumePurged, dataVolumesPurged: await ctx.docker.removeDataVolumes(ctx.workspace.id) };
  },
};
