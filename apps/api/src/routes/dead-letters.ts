import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DeadLetterJson, PageCursor, pageOf, listDeadLetters, type DeadLetterRow } from '@dockyard/shared';
import type { ApiDeps } from '../deps.ts';
import { replayDeadLetter } from '../dead-letter-replay.ts';
import { IdParams, errorResponses } from '../schemas.ts';

const DeadLetter = DeadLetterJson;

const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: PageCursor.optional(),
});

const toJson = (d: DeadLetterRow) => ({
  id: d.id,
  workspaceId: d.workspace_id,
  jobId: d.job_id,
  job: d.job,
  error: d.error,
  step: d.step,
  attempts: d.attempts,
  at: d.created_at.toISOString(),
  replayedAt: d.replayed_at?.toISOString() ?? null,
  replayJobId: d.replay_job_id,
});

export function registerDeadLetterRoutes(fastify: FastifyInstance, deps: ApiDeps) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/v1/dead-letters',
    {
      schema: {
        tags: ['dead letters'],
        querystring: ListQuery,
        response: { 200: z.object({ items: z.array(DeadLetter), nextCursor: z.string().nullable() }), ...errorResponses({ method: 'GET', validates: true }) },
      },
    },
    async (req) => {
      const rows = await listDeadLetters(deps.pool, { limit: req.query.limit + 1, after: req.query.cursor });
      const { page, nextCursor } = pageOf(rows, req.query.limit);
      return { items: page.map(toJson), nextCursor };
    },
  );

  app.post(
    '/v1/dead-letters/:id/replay',
    {
      schema: {
        tags: ['dead letters'],
        params: IdParams,
        response: {
          202: z.object({ jobId: z.string() }),
          ...errorResponses({ method: 'POST', notFound: 'no dead letter with this id, or its workspace is gone', conflict: 'the dead letter was already replayed, or its workspace is removed' }),
        },
      },
    },
    async (req, reply) => reply.code(202).send({ jobId: await replayDeadLetter(deps, req.params.id) }),
  );
}
