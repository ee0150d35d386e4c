import type { Step } from '../context.ts';
import { CONFIG_FILE, copyTemplate, templateFor, volumeFiles } from './volume-content.ts';

/** Provision: seed the new volume from `<runtime>-default`, else `<runtime>`; keep a volume that is already populated. */
export const seed: Step<'template' | 'seeded'> = {
  name: 'seed',
  async run(ctx, state) {
    // a volume this job just created is empty; any other may already hold the user's config
    if (!state.volumeCreated && (await volumeFiles(ctx)).has(CONFIG_FILE)) return { template: 'existing volume', seeded: false };
    const template = await templateFor(ctx);
    await copyTemplate(ctx, template);
    return { template: template.name, seeded: true };
  },
};
