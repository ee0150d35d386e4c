import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { getInstallationId, readWorkers } from '@dockyard/shared';
import type { ApiDeps } from '../deps.ts';
import { errorResponses } from '../schemas.ts';

const Healthy = z.object({ status: z.literal('ok') });
const workerCount = z.number().int().nullable().describe('null when Redis could not be read for it');
const Ready = z.object({
  status: z.literal('ready'),
  installation: z.uuid(),
  postgres: z.literal('ok'),
  redis: z.literal('ok'),
  workers: z.object({ alive: workerCount, stuck: workerCount, fenced: workerCount }),
});

// (hidden here; openapi-docs.ts lists them, open, with their summaries)
export function registerHealthRoutes(app: FastifyInstance, deps: ApiDeps) {
  app.get('/healthz', { schema: { hide: true, response: { 200: Healthy } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true, response: { 200: Ready, ...errorResponses({ method: 'GET', open: true }) } } }, async (_req, reply) => {
    let installation: string | undefined;
    const [postgres, redis] = await Promise.all([
      withTimeout(getInstallationId(deps.pool).then((id) => Boolean((installation = id))), 2_000),
      withTimeout(deps.redis.ping().then(() => true), 2_000),
    ]);
    const down = [!postgres && 'postgres', !redis && 'redis'].filter(Boolean) as string[];
    if (down.length === 0) {
      // worker health is reported, not required: the API serves without workers (requests wait for them)
      const fresh = 3 * deps.config.timing.HOST_HEARTBEAT_MS;
      const workers = await readWorkers(deps.redis, deps.config.queuePrefix, fresh).catch(() => undefined);
      const count = (state: string) => workers?.filter((w) => w.state === state).length ?? null;
      return { status: 'ready', installation, postgres: 'ok', redis: 'ok', workers: { alive: count('alive'), stuck: count('stuck'), fenced: count('fenced') } };
    }
    return reply.code(503).send({
      error: { code: 'UNAVAILABLE', message: `not ready: ${down.join(' and ')} unavailable`, details: down },
    });
  });
}

async function withTimeout(p: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([p.catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
