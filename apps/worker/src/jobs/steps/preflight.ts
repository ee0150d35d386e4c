import type { Step } from '../context.ts';
import { CONFIG_FILE, MARKER_FILE, runtimeOf } from './volume-content.ts';

/** Restart: what does the config volume hold? */
export const preflight: Step<'hasConfig' | 'hasMarker'> = {
  name: 'preflight',
  async run(ctx) {
    const { files } = await ctx.docker.ensureVolumeFiles(ctx.workspace.id, runtimeOf(ctx).image);
    return { hasConfig: files.has(CONFIG_FILE), hasMarker: files.has(MARKER_FILE) };
  },
};
