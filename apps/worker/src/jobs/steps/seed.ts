import type { Step } from '../context.ts';
import { CONFIG_FILE, copyTemplate, runtimeOf, templateFor, writeMarker } from './volume.ts';

/** Provision: seed the new volume from `<runtime>-default`, else `<runtime>`; keep a volume that is already populated. */
export const seed: Step = {
  name: 'seed',
  async run(ctx) {
    const found = await ctx.docker.readVolume(ctx.workspace.id, runtimeOf(ctx).image, []);
    if (found.files.has(CONFIG_FILE)) return { template: 'existing volume', seeded: false };
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
