import type { Step } from '../context.ts';
import { CONFIG_FILE, MARKER_FILE, volumeFiles } from './volume-content.ts';

/** Restart: what does the config volume hold? */
export const preflight: Step<'hasConfig' | 'hasMarker'> = {
  name: 'preflight',
  async run(ctx) {
    await ctx.docker.ensureVolume(ctx.workspace.id);
    const files = await volumeFiles(ctx);
    return { hasConfig: files.has(CONFIG_FILE), hasMarker: files.has(MARKER_FILE) };
  },
};
