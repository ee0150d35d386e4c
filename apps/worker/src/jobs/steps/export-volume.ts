import { Readable } from 'node:stream';
import { saveVolumeImport } from '@dockyard/shared';
import type { Step } from '../context.ts';
import { listArchiveFiles } from '../../docker/volume-files.ts';
import { runtimeOf } from './volume-content.ts';

/** Move: copy the config volume (user edits and all) into Postgres, for the workspace's next job on its new host. */
export const exportVolume: Step<'exportedFiles'> = {
  name: 'export-volume',
  async run(ctx) {
    const archive = await ctx.docker.exportVolume(ctx.workspace.id, runtimeOf(ctx).image);
    if (!archive) return { exportedFiles: 0 }; // never made here (e.g. placed but not provisioned yet)
    const files = (await listArchiveFiles(Readable.from([archive]))).size;
    await saveVolumeImport(ctx.pool, { workspaceId: ctx.workspace.id, fromHost: ctx.config.host.name, archive, files });
    return { exportedFiles: files };
  },
};
