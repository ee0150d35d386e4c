import type { Step } from '../context.ts';
import { dataVolumeNameOf } from '../../docker/container-spec.ts';
import { runtimeOf } from './volume-content.ts';

/**
 * Move: the config volume goes from the old host once its copy is safe in Postgres. Data
 * volumes are not copied (they may be large) and stay where they are, removed only by a purge.
 */
export const removeVolume: Step<'volumeRemoved'> = {
  name: 'remove-volume',
  async run(ctx) {
    const data = (runtimeOf(ctx).volumes ?? []).map((v) => dataVolumeNameOf(ctx.workspace.id, v.name));
    if (data.length) await ctx.note(`data volumes not moved: ${data.join(', ')} stay on ${ctx.config.host.name}`, ctx.action.cause);
    return { volumeRemoved: await ctx.docker.removeVolume(ctx.workspace.id) };
  },
};
