import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  ApiError,
  createWorkspace,
  pageOf,
  getHost,
  getWorkspace,
  listEvents,
  listWorkspaces,
  requestAction,
  toEventJson,
  toWorkspaceJson,
  WorkspaceJson,
  type Action,
  type RequestResult,
} from '@dockyard/shared';
import type { ApiDeps } from '../deps.ts';
import {
  DeleteQuery,
  EventList,
  EventsQuery,
  IdParams,
  IdempotencyHeaders,
  ListWorkspacesQuery,
  RestartBody,
  WorkspaceAccepted,
  WorkspaceList,
  errorResponses,
  makeCreateWorkspaceBody,
  refuseOversizedEnv,
} from '../schemas.ts';

const NO_WORKSPACE = 'no workspace with this id';
const REMOVED = 'the workspace is removed';

export function registerWorkspaceRoutes(fastify: FastifyInstance, deps: ApiDeps) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const CreateBody = makeCreateWorkspaceBody(Object.keys(deps.config.runtimes.runtimes));

  app.post(
    '/v1/workspaces',
    {
      preValidation: refuseOversizedEnv,
      schema: {
        tags: ['workspaces'],
        body: CreateBody,
        headers: IdempotencyHeaders,
        response: { 202: WorkspaceAccepted, ...errorResponses({ method: 'POST', conflict: 'the Idempotency-Key was used for another request' }) },
      },
    },
    async (req, reply) => {
      if (req.body.host && !(await getHost(deps.pool, req.body.host))) {
        throw new ApiError('VALIDATION_FAILED', `unknown host ${req.body.host}: no worker has registered it (GET /v1/hosts lists the hosts)`);
      }
      const result = await createWorkspace(deps, {
        name: req.body.name,
        runtime: req.body.runtime,
        env: req.body.env ?? {},
        idempotencyKey: req.headers['idempotency-key'],
        placement: { strategy: deps.config.placement, hostLabels: deps.config.runtimes.runtimes[req.body.runtime]?.hostLabels, pinned: req.body.host },
      });
      if ('conflict' in result) throw new ApiError('CONFLICT', result.conflict);
      return reply.code(202).send({ workspace: toWorkspaceJson(result.workspace), jobId: result.jobId });
    },
  );

  app.get(
    '/v1/workspaces',
    { schema: { tags: ['workspaces'], querystring: ListWorkspacesQuery, response: { 200: WorkspaceList, ...errorResponses({ method: 'GET', validates: true }) } } },
    async (req) => {
      const rows = await listWorkspaces(deps.pool, {
        status: req.query.status as never,
        runtime: req.query.runtime,
        host: req.query.host,
        limit: req.query.limit + 1,
        after: req.query.cursor,
      });
      const { page, nextCursor } = pageOf(rows, req.query.limit);
      return { items: page.map(toWorkspaceJson), nextCursor };
    },
  );

  app.get(
    '/v1/workspaces/:id',
    { schema: { tags: ['workspaces'], params: IdParams, response: { 200: WorkspaceJson, ...errorResponses({ method: 'GET', validates: true, notFound: NO_WORKSPACE }) } } },
    async (req) => toWorkspaceJson(await mustGet(deps, req.params.id)),
  );

  app.get(
    '/v1/workspaces/:id/events',
    {
      schema: {
        tags: ['workspaces'],
        params: IdParams,
        querystring: EventsQuery,
        response: { 200: EventList, ...errorResponses({ method: 'GET', validates: true, notFound: NO_WORKSPACE }) },
      },
    },
    async (req) => {
      await mustGet(deps, req.params.id);
      const rows = await listEvents(deps.pool, req.params.id, req.query.limit);
      return { items: rows.map(toEventJson) };
    },
  );

  app.post(
    '/v1/workspaces/:id/restart',
    {
      schema: {
        tags: ['workspaces'],
        params: IdParams,
        body: RestartBody,
        response: { 202: WorkspaceAccepted, ...errorResponses({ method: 'POST', notFound: NO_WORKSPACE, conflict: REMOVED }) },
      },
    },
    async (req, reply) => {
      const { applyTemplate = false, reason } = req.body;
      const cause = reason ? `api: restart (${reason})` : 'api: restart';
      const result = await requestAction(
        deps,
        req.params.id,
        { kind: 'restart', cause, applyTemplate, reason, auto: false },
        { resetCrashLoop: true },
      );
      return reply.code(202).send(accepted(result, req.params.id));
    },
  );

  app.post(
    '/v1/workspaces/:id/stop',
    { schema: { tags: ['workspaces'], params: IdParams, response: { 202: WorkspaceAccepted, ...errorResponses({ method: 'POST', notFound: NO_WORKSPACE, conflict: REMOVED }) } } },
    async (req, reply) => {
      const result = await requestAction(deps, req.params.id, { kind: 'stop', cause: 'api: stop' });
      return reply.code(202).send(accepted(result, req.params.id));
    },
  );

  app.delete(
    '/v1/workspaces/:id',
    {
      schema: {
        tags: ['workspaces'],
        params: IdParams,
        querystring: DeleteQuery,
        response: { 202: WorkspaceAccepted, ...errorResponses({ method: 'DELETE', notFound: NO_WORKSPACE }) },
      },
    },
    async (req, reply) => {
      const action: Action = { kind: 'remove', cause: req.query.purge ? 'api: delete (purge)' : 'api: delete', purge: req.query.purge };
      const result = await requestAction(deps, req.params.id, action);
      return reply.code(202).send(accepted(result, req.params.id));
    },
  );
}

async function mustGet(deps: ApiDeps, id: string) {
  const row = await getWorkspace(deps.pool, id);
  if (!row) throw new ApiError('NOT_FOUND', `workspace ${id} not found`);
  return row;
}

function accepted(result: RequestResult, id: string) {
  if (result.kind === 'not-found') throw new ApiError('NOT_FOUND', `workspace ${id} not found`);
  if (result.kind === 'removed') throw new ApiError('CONFLICT', `workspace ${id} is removed`);
  return { workspace: toWorkspaceJson(result.workspace), jobId: result.jobId };
}
