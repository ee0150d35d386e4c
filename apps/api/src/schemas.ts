import { z } from 'zod';
import { RuntimeName, WORKSPACE_STATUSES } from '@dockyard/shared';

/** Request and response schemas: they validate requests and generate /openapi.json. */
export const WorkspaceStatus = z.enum(WORKSPACE_STATUSES as [string, ...string[]]);

export const Workspace = z
  .object({
    id: z.uuid(),
    name: z.string(),
    runtime: z.string(),
    status: WorkspaceStatus,
    desiredState: z.enum(['running', 'stopped', 'removed']),
    step: z.string().nullable(),
    lastError: z.string().nullable(),
    restartCount: z.number().int(),
    nextRestartAt: z.string().nullable(),
    generation: z.number().int(),
    containerName: z.string(),
    configVolume: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Workspace' });

export const ErrorBody = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.array(z.unknown()).optional() }),
  })
  .meta({ id: 'Error' });

export const WorkspaceAccepted = z.object({ workspace: Workspace, jobId: z.string() });

export const IdParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) });

export const EnvVars = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'env names are letters, digits and _'), z.string().max(32_768))
  .refine((e) => Object.keys(e).length <= 200, 'at most 200 env variables');

export function makeCreateWorkspaceBody(runtimeNames: string[]) {
  const known = new Set(runtimeNames);
  return z.strictObject({
    name: z.string().trim().min(1, 'name is required').max(100, 'name is at most 100 characters'),
    runtime: RuntimeName.refine((r) => known.has(r), {
      message: `unknown runtime; known runtimes: ${runtimeNames.join(', ') || '(none)'}`,
    }),
    env: EnvVars.optional(),
  });
}

export const ListWorkspacesQuery = z.object({
  status: WorkspaceStatus.optional(),
  runtime: RuntimeName.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});

export const WorkspaceList = z.object({ items: z.array(Workspace), nextCursor: z.string().nullable() });

export const EventsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

export const WorkspaceEvent = z.object({
  at: z.string(),
  from: z.string().nullable(),
  to: z.string(),
  cause: z.string(),
  jobId: z.string().nullable(),
  attempt: z.number().int().nullable(),
  message: z.string().nullable(),
});
export const EventList = z.object({ items: z.array(WorkspaceEvent) });

export const RestartBody = z
  .strictObject({
    applyTemplate: z.boolean().optional(),
    reason: z.string().max(500, 'reason is at most 500 characters').optional(),
  })
  .default({});

export const DeleteQuery = z.object({ purge: z.enum(['true', 'false']).default('false').transform((v) => v === 'true') });

export const IdempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(200).optional(),
});
