import { z } from 'zod';

/** A runtime name is also a template folder name, so it must be a safe path segment. */
const RUNTIME_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const RUNTIME_NAME_RULE = 'runtime names are lowercase letters, digits and -, start with a letter or digit, at most 63 characters';
export const RuntimeName = z.string().regex(RUNTIME_NAME, RUNTIME_NAME_RULE);

/** A host name is part of queue names and paths: the same rule as a runtime name. */
export const HostName = z.string().regex(RUNTIME_NAME, 'host names are lowercase letters, digits and -, start with a letter or digit, at most 63 characters');

export const RuntimeSpec = z.strictObject({
  image: z.string().min(1),
  cmd: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  memoryMb: z.number().int().positive().optional(),
  cpus: z.number().positive().optional(),
  pidsLimit: z.number().int().positive().optional(),
  /** placement: a workspace of this runtime goes only to hosts carrying every one of these labels */
  hostLabels: z.record(z.string(), z.string()).optional(),
});
export type RuntimeSpec = z.infer<typeof RuntimeSpec>;

export const RuntimesManifest = z.strictObject({
  runtimes: z.record(z.string(), RuntimeSpec).superRefine((runtimes, ctx) => {
    for (const name of Object.keys(runtimes)) {
      if (!RUNTIME_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: `"${name}": ${RUNTIME_NAME_RULE}` });
    }
  }),
});
export type RuntimesManifest = z.infer<typeof RuntimesManifest>;
