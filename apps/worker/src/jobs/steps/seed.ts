import type { Step } from '../context.ts';
import { CONFIG_FILE, copyTemplate, runtimeOf, templateFor, writeMarker } from './volume.ts';

/** Provision: seed the new volume from `<runtime>-default`, else `<runtime>`; keep a volume that is already populated. */
export const seed: Step = {
  name: 'seed',
  async run(ctx, state) {
    // a volume this job just created is empty; any other may already hold the user's config
    if (!state.volumeCreated) {
      const found = await ctx.docker.readVolume(ctx.workspace.id, runtimeOf(ctx).image, []);
      if (found.files.has(CONFIG_FILE)) return { template: 'existing volume', seeded: false };
    }
    const template = await templateFor(ctx);
    await copyTemplate(ctx, template);
    return { template: template.name, seeded: true };
  },
};

export const markProvisioned: Step = {
  name: 'mark-provisioned',
  async run(ctx, state) {
    await writeMarker(ctx, String(state.template ?? 'unknown'));
  },
};
