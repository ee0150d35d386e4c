import type { Step } from '../context.ts';
import { deleteVolumeImport, getVolumeImport } from '@dockyard/shared';
import { copyTemplate, runtimeOf, templateFor, writeMarker } from './volume-content.ts';

/**
 * Restart: heal an empty volume from the template, or re-apply the template when
 * asked; otherwise keep the user's config untouched. Names the branch it took.
 */
export const recover: Step<'branch'> = {
  name: 'recover',
  async run(ctx, state) {
    const applyTemplate = ctx.action.kind === 'restart' && ctx.action.applyTemplate;
    const movedFrom = ctx.action.kind === 'restart' ? ctx.action.movedFrom : undefined;
    let branch: string;
    const copied = !state.hasConfig && movedFrom ? await getVolumeImport(ctx.pool, ctx.workspace.id) : undefined;
    if (copied) {
      // moved here by a drain: the old host's volume, user edits and all
      await ctx.docker.importVolume(ctx.workspace.id, runtimeOf(ctx).image, copied.archive);
      await deleteVolumeImport(ctx.pool, ctx.workspace.id);
      branch = `moved from ${copied.from_host} to ${ctx.config.host.name}; config copied (${copied.files} files)`;
    } else if (!state.hasConfig) {
      const template = await templateFor(ctx);
      await copyTemplate(ctx, template);
      branch = movedFrom
        ? `re-placed from ${movedFrom} to ${ctx.config.host.name} after host loss; config re-seeded from ${template.name}`
        : state.hasMarker
          ? `volume emptied after provision — recovered from ${template.name}`
          : `volume empty, never provisioned — seeded from ${template.name}`;
      if (!state.hasMarker) await writeMarker(ctx, template.name);
    } else if (applyTemplate) {
      const template = await templateFor(ctx);
      await copyTemplate(ctx, template);
      branch = `template re-applied from ${template.name}`;
    } else {
      branch = 'volume healthy';
    }
    await ctx.note(branch, 'preflight');
    return { branch };
  },
};
