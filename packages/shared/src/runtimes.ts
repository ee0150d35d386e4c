import { z } from 'zod';

/** A runtime name is also a template folder name, so it must be a safe path segment. */
export const RuntimeName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'runtime names are lowercase letters, digits and -, at most 63 characters');

export const RuntimeSpec = z.strictObject({
  image: z.string().min(1),
  cmd: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  memoryMb: z.number().int().positive().optional(),
  cpus: z.number().positive().optional(),
  pidsLimit: z.number().int().positive().optional(),
});
export type RuntimeSpec = z.infer<typeof RuntimeSpec>;

export const RuntimesManifest = z.strictObject({
  runtimes: z.record(RuntimeName, RuntimeSpec),
});
export type RuntimesManifest = z.infer<typeof RuntimesManifest>;
