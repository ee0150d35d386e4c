import { openWorkspaceEnv } from '@dockyard/shared';
import type { Step } from '../context.ts';
import { dataVolumeNameOf } from '../../docker/container-spec.ts';
import { runtimeOf } from './volume-content.ts';

const MADE_ANEW = {
  relabelled: `container made anew with this installation's label (an older Dockyard made it without one)`,
  replaced: 'container made anew from the current spec (its env, image, ports or limits changed)',
} as const;

/**
 * Create the workspace's container if it is missing, with its runtime network and data volumes;
 * one an older Dockyard made, or one made from an older spec, is made anew. Data volumes are
 * only ever created here: a restart, a recovery and applyTemplate never touch them.
 */
export const createContainer: Step = {
  name: 'create-container',
  async run(ctx) {
    const runtime = runtimeOf(ctx);
    if (runtime.network) await ctx.docker.ensureNetwork(runtime.network);
    const created = await ctx.docker.ensureDataVolumes(ctx.workspace.id, runtime.volumes ?? []);
    const kept = (runtime.volumes ?? []).filter((v) => !created.includes(dataVolumeNameOf(ctx.workspace.id, v.name)));
    if (created.length) await ctx.note(`data volumes created: ${created.join(', ')}`, ctx.action.cause);
    if (kept.length && ctx.action.kind === 'restart') {
      await ctx.note(`data volumes kept as they were: ${kept.map((v) => `${v.name} at ${v.path}`).join(', ')}`, ctx.action.cause);
    }
    const outcome = await ctx.docker.ensureContainer({
      workspaceId: ctx.workspace.id,
      runtime,
      env: openWorkspaceEnv(ctx.secrets, ctx.workspace),
    });
    if (outcome === 'relabelled' || outcome === 'replaced') await ctx.note(MADE_ANEW[outcome], ctx.action.cause);
  },
};
