import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  Action,
  ApiError,
  claimDeadLetterReplay,
  releaseDeadLetterReplay,
  PageCursor,
  pageOf,
  getDeadLetter,
  listDeadLetters,
  markDeadLetterReplayed,
  requestAction,
  type DeadLetterRow,
} from '@dockyard/shared';
import type { ApiDeps } from '../deps.ts';
import { IdParams, errorResponses } from '../schemas.ts';

const DeadLetter = z
  .object({
    id: z.uuid(),
    workspaceId: z.uuid(),
    jobId: z.string(),
    job: z.object({ name: z.string(), data: z.unknown(), action: z.unknown() }),
    error: z.string(),
    step: z.string().nullable(),
    attempts: z.array(z.object({ attempt: z.number(), step: z.string().nullable(), error: z.string(), at: z.string() })),
    at: z.string(),
    replayedAt: z.string().nullable(),
    replayJobId: z.string().nullable(),
  })
  .meta({ id: 'DeadLetter' });

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
    async (req, reply) => {
      const { id } = req.params;
      // Claim the dead letter first, so two replays of it never both run.
      if (!(await claimDeadLetterReplay(deps.pool, id))) {
        const existing = await getDeadLetter(deps.pool, id);
        if (!existing) throw new ApiError('NOT_FOUND', `dead letter ${id} not found`);
        throw new ApiError('CONFLICT', `dead letter ${id} was already replayed as job ${existing.replay_job_id ?? '(pending)'}`);
      }
      const letter = (await getDeadLetter(deps.pool, id))!;
      const original = Action.safeParse(letter.job.action);
      const action: Action = original.success
        ? { ...original.data, cause: `replay of dead letter ${id}` }
        : { kind: 'restart', cause: `replay of dead letter ${id}`, applyTemplate: false, auto: false };
      try {
        const result = await requestAction(deps, letter.workspace_id, action);
        if (result.kind === 'not-found') throw new ApiError('NOT_FOUND', `workspace ${letter.workspace_id} not found`);
        if (result.kind === 'removed') throw new ApiError('CONFLICT', `workspace ${letter.workspace_id} is removed`);
        await markDeadLetterReplayed(deps.pool, id, result.jobId);
        const mirrored = await deps.queues.deadLetter.getJob(id).catch(() => undefined);
        await mirrored?.updateData({ ...mirrored.data, replayedAt: new Date().toISOString(), replayJobId: result.jobId }).catch(() => undefined);
        return reply.code(202).send({ jobId: result.jobId });
      } catch (err) {
        await releaseDeadLetterReplay(deps.pool, id);
        throw err;
      }
    },
  );
}
