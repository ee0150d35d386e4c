import { PermanentError, type RuntimeSpec } from '@dockyard/shared';
import type { JobContext } from '../context.ts';
import { noTemplateError, readTemplateEntries, resolveTemplate, type Template } from '../../templates.ts';

/** What a populated config volume holds. */
export const CONFIG_FILE = 'config.yaml';
export const MARKER_FILE = '.provisioned';

export function runtimeOf(ctx: JobContext): RuntimeSpec {
  const spec = ctx.config.runtimes.runtimes[ctx.workspace.runtime];
  if (!spec) throw new PermanentError(`unknown runtime ${ctx.workspace.runtime}: not in RUNTIMES_FILE`);
  return spec;
}

export async function templateFor(ctx: JobContext): Promise<Template> {
  const template = await resolveTemplate(ctx.config.templatesDir, ctx.workspace.runtime);
  if (!template) throw noTemplateError(ctx.config.templatesDir, ctx.workspace.runtime);
  return template;
}

/** Copy a template into the config volume (before the container starts); a copy error fails the step. */
export async function copyTemplate(ctx: JobContext, template: Template): Promise<void> {
  const entries = await readTemplateEntries(template);
  await ctx.docker.writeVolume(ctx.workspace.id, runtimeOf(ctx).image, entries);
}

/** Write the `.provisioned` marker: JSON with workspace id, runtime, template used, time. */
export async function writeMarker(ctx: JobContext, templateName: string): Promise<void> {
  const marker = {
    workspaceId: ctx.workspace.id,
    runtime: ctx.workspace.runtime,
    template: templateName,
    at: new Date().toISOString(),
  };
  await ctx.docker.writeVolume(ctx.workspace.id, runtimeOf(ctx).image, [
    { path: MARKER_FILE, type: 'file', content: Buffer.from(JSON.stringify(marker, null, 2) + '\n') },
  ]);
}

/** The regular files in the workspace's config volume. */
export const volumeFiles = (ctx: JobContext) => ctx.docker.listVolumeFiles(ctx.workspace.id, runtimeOf(ctx).image);
