import type { Step } from '../context.ts';
import { CONFIG_FILE, MARKER_FILE, runtimeOf } from './volume.ts';

/** Restart: what does the config volume hold? */
export const preflight: Step = {
  name: 'preflight',
  async run(ctx) {
    await ctx.docker.ensureVolume(ctx.workspace.id);
    const found = await ctx.docker.readVolume(ctx.workspace.id, runtimeOf(ctx).image, [MARKER_FILE]);
    return { hasConfig: found.files.has(CONFIG_FILE), hasMarker: found.files.has(MARKER_FILE) };
  },
};
