import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  ApiError,
  BULK_PRIORITY,
  RuntimeName,
  StoredText,
  findWorkspaceIds,
  jobMetricDefs,
  makeMetricsStore,
  requestAction,
  requestAutoRestart,
  type WorkspaceStatus as WorkspaceStatusName,
} from '@dockyard/shared';
import type { ApiDeps } from '../deps.ts';
import { WorkspaceStatus, errorResponses } from '../schemas.ts';

const OutsideEvent = z.strictObject({
  type: z.enum(['container.died', 'liveness.lost']),
  workspaceId: z.uuid(),
  at: z.iso.datetime({ offset: true }).optional(),
  detail: StoredText.max(1000).optional(),
});

const EventAnswer = z.object({ accepted: z.boolean(), jobId: z.string().optional(), reason: z.string().optional() });

const BulkRestart = z
  .strictObject({
    runtime: RuntimeName.optional(),
    status: WorkspaceStatus.exclude(['removed']).optional(),
    ids: z.array(z.uuid()).min(1).max(1000).optional(),
  })
  .refine((b) => b.runtime !== undefined || b.status !== undefined || b.ids !== undefined, {
    message: 'give at least one filter: runtime, status or ids',
  });

const CAUSES = { 'container.died': 'auto-restart: container died', 'liveness.lost': 'auto-restart: liveness lost' } as const;
const BULK_PARALLELISM = 8;

export function registerAutoRestartRoutes(fastify: FastifyInstance, deps: ApiDeps) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const metrics = makeMetricsStore(async () => deps.redis, deps.config.queuePrefix);
  const count = (p: Promise<unknown>) => void p.catch((err) => deps.log.warn({ err }, 'metrics write failed'));

  app.post(
    '/v1/events',
    { schema: { tags: ['auto-restart'], body: OutsideEvent, response: { 202: EventAnswer, ...errorResponses({ method: 'POST', notFound: 'no workspace with this workspaceId' }) } } },
    async (req, reply) => {
      const { type, workspaceId, at, detail } = req.body;
      const result = await requestAutoRestart(deps, workspaceId, { cause: CAUSES[type], detail, at: at ? new Date(at) : undefined });
      if (result.kind === 'not-found') throw new ApiError('NOT_FOUND', `workspace ${workspaceId} not found`);
      if (result.kind === 'crash-loop') count(metrics.inc(jobMetricDefs.crashLoopFailures));
      if (result.kind === 'accepted' && !result.coalesced) count(metrics.inc(jobMetricDefs.autoRestarts, { source: 'api-events' }));
      if (result.kind === 'accepted') return reply.code(202).send({ accepted: true, jobId: result.jobId });
      return reply.code(202).send({ accepted: false, reason: result.reason });
    },
  );

  app.post(
    '/v1/restarts',
    { schema: { tags: ['auto-restart'], body: BulkRestart, response: { 202: z.object({ count: z.number().int() }), ...errorResponses({ method: 'POST' }) } } },
    async (req, reply) => {
      const { runtime, status, ids } = req.body;
      const matching = await findWorkspaceIds(deps.pool, { runtime, status: status as WorkspaceStatusName | undefined, ids });
      // Each restart is recorded and queued now; the workers' global rate limit and
      // concurrency cap on the restart queue pace their execution.
      let next = 0;
      let accepted = 0;
      const lane = async () => {
        while (next < matching.length) {
          const id = matching[next++]!;
          const result = await requestAction(
            deps,
            id,
            { kind: 'restart', cause: 'bulk restart', applyTemplate: false, auto: false },
            { priority: BULK_PRIORITY },
          );
          if (result.kind === 'accepted') accepted++;
        }
      };
      await Promise.all(Array.from({ length: BULK_PARALLELISM }, lane));
      return reply.code(202).send({ count: accepted });
    },
  );
}
