import { z } from 'zod';
import { ApiError, HostName, MAX_ENV_VARS, PageCursor, RuntimeName, StoredText, WorkspaceEventJson, WorkspaceJson } from '@dockyard/shared';

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

export const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'env names are letters, digits and _');
export const EnvValue = StoredText.max(32_768, 'an env value is at most 32768 characters');

export const EnvVars = z
  .record(EnvName, EnvValue)
  .refine((e) => Object.keys(e).length <= MAX_ENV_VARS, `at most ${MAX_ENV_VARS} env variables`);

/**
 * PATCH /v1/workspaces/:id, a JSON Merge Patch (RFC 7396): `env` members set a variable (a string)
 * or remove it (null), `env: null` removes every one; `name` renames; `restart` (default: true
 * when `env` is given) queues a restart that applies the change.
 */
export const PatchWorkspaceBody = z
  .strictObject({
    name: StoredText.trim().min(1, 'name is at least 1 character').max(100, 'name is at most 100 characters').optional(),
    env: z
      .record(EnvName, EnvValue.nullable())
      .refine((e) => Object.values(e).filter((v) => v !== null).length <= MAX_ENV_VARS, `at most ${MAX_ENV_VARS} env variables`)
      .nullable()
      .optional(),
    restart: z.boolean().optional(),
  })
  .refine((b) => b.name !== undefined || b.env !== undefined, 'nothing to change: give env, name or both');

/** 202 with the restart's job id; 200 with `jobId: null` when no restart was queued. */
export const WorkspacePatched = z.object({ workspace: WorkspaceJson, jobId: z.string().nullable() });

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

/**
 * The error answers a route can send, each with the contract's code and when it comes. Every
 * route's `response` takes its errors from `errorResponses`, so the document lists exactly the
 * statuses the route can answer (test/openapi.responses.test.ts holds the API to it).
 */
const ERROR_ANSWERS = {
  400: ['VALIDATION_FAILED', 'a path parameter, query string, header or body the route refuses (the details name the fields)'],
  401: ['UNAUTHORIZED', 'no token, or not the API token'],
  404: ['NOT_FOUND', ''],
  409: ['CONFLICT', ''],
  413: ['PAYLOAD_TOO_LARGE', 'a request body over 1 MiB'],
  429: ['RATE_LIMITED', 'over RATE_LIMIT_PER_MINUTE requests, or AUTH_FAILURES_PER_MINUTE refused ones, from this client in a minute; see Retry-After'],
  503: ['UNAVAILABLE', 'Postgres or Redis does not answer, retry later'],
} as const;
export type ErrorStatus = keyof typeof ERROR_ANSWERS;

export interface RouteErrors {
  /** GET routes read no body; every other method may be sent one (Fastify parses it): 400 when malformed, 413 when over 1 MiB */
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** the route validates path parameters, a query string or headers (400) */
  validates?: boolean;
  /** the health probes: no token asked for (no 401), outside the rate limits (no 429) */
  open?: boolean;
  /** false for a route that needs neither Postgres nor Redis to answer (no 503) */
  backends?: boolean;
  /** when the route answers 404 (something the path or body names does not exist) */
  notFound?: string;
  /** when the route answers 409 */
  conflict?: string;
  /** when the route answers 503 besides Postgres or Redis not answering */
  unavailable?: string;
  /** when the route answers 429 besides the rate limits */
  tooMany?: string;
}

const errorAnswer = (status: ErrorStatus, when?: string) => ({
  description: `${ERROR_ANSWERS[status][0]}: ${[ERROR_ANSWERS[status][1], when].filter(Boolean).join('; ')}`,
  content: { 'application/json': { schema: ErrorBody } },
});

/** The error statuses of one route, for its schema's `response`, each in the contract's error shape. */
export function errorResponses(route: RouteErrors) {
  const answers: Partial<Record<ErrorStatus, ReturnType<typeof errorAnswer>>> = {};
  const hasBody = route.method !== 'GET';
  if (hasBody || route.validates) answers[400] = errorAnswer(400);
  if (!route.open) answers[401] = errorAnswer(401);
  if (route.notFound) answers[404] = errorAnswer(404, route.notFound);
  if (route.conflict) answers[409] = errorAnswer(409, route.conflict);
  if (hasBody) answers[413] = errorAnswer(413);
  if (!route.open) answers[429] = errorAnswer(429, route.tooMany);
  if (route.backends !== false) answers[503] = errorAnswer(503, route.unavailable);
  return answers;
}

/**
 * preValidation of the routes that take `env`: a body naming far more variables than allowed is
 * refused before its names are checked one by one (60,000 bad names would otherwise cost a
 * validation issue each). A patch may remove as many as it sets, so twice the limit gets through
 * to the schema, which applies the exact rule.
 */
export async function refuseOversizedEnv(req: { body: unknown }): Promise<void> {
  const env = (req.body as { env?: unknown } | null | undefined)?.env;
  if (env !== null && typeof env === 'object' && !Array.isArray(env) && Object.keys(env).length > 2 * MAX_ENV_VARS) {
    throw new ApiError('VALIDATION_FAILED', `env: at most ${MAX_ENV_VARS} env variables (this body names ${Object.keys(env).length})`);
  }
}
