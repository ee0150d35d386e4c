import { z } from 'zod';
import { HostName, PageCursor, RuntimeName, StoredText, WorkspaceEventJson, WorkspaceJson } from '@dockyard/shared';

/** Request and response schemas: they validate requests and generate /openapi.json. */
// The workspace and event JSON are declared once, in shared, next to the functions that build them.
export const WorkspaceStatus = WorkspaceJson.shape.status;

export const ErrorBody = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.array(z.unknown()).optional() }),
  })
  .meta({ id: 'Error' });

export const WorkspaceAccepted = z.object({ workspace: WorkspaceJson, jobId: z.string() });

export const IdParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) });

export const EnvVars = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'env names are letters, digits and _'), StoredText.max(32_768))
  .refine((e) => Object.keys(e).length <= 200, 'at most 200 env variables');

export function makeCreateWorkspaceBody(runtimeNames: string[]) {
  const known = new Set(runtimeNames);
  return z.strictObject({
    name: StoredText.trim().min(1, 'name is required').max(100, 'name is at most 100 characters'),
    runtime: RuntimeName.refine((r) => known.has(r), {
      message: `unknown runtime; known runtimes: ${runtimeNames.join(', ') || '(none)'}`,
    }),
    env: EnvVars.optional(),
    /** pin the workspace to this host (it waits if the host has no room) */
    host: HostName.optional(),
  });
}

export const ListWorkspacesQuery = z.object({
  status: WorkspaceStatus.optional(),
  runtime: RuntimeName.optional(),
  host: HostName.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: PageCursor.optional(),
});

export const WorkspaceList = z.object({ items: z.array(WorkspaceJson), nextCursor: z.string().nullable() });

export const EventsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

export const EventList = z.object({ items: z.array(WorkspaceEventJson) });

/** A body the client may leave out: no body, or an empty one, reads as `{}` (Fastify hands the schema null). */
export const optionalBody = <S extends z.ZodType>(schema: S) => z.preprocess((body) => body ?? {}, schema);

export const RestartBody = optionalBody(
  z.strictObject({
    applyTemplate: z.boolean().optional(),
    reason: StoredText.max(500, 'reason is at most 500 characters').optional(),
  }),
);

export const DeleteQuery = z.object({ purge: z.enum(['true', 'false']).default('false').transform((v) => v === 'true') });

export const IdempotencyHeaders = z.object({
  'idempotency-key': StoredText.min(1).max(200).optional(),
});
