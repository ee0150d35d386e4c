import type { FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { ApiError } from '@dockyard/shared';
import type { ApiDeps } from './deps.ts';

const EXEMPT = new Set(['/healthz', '/readyz']);

/**
 * Per-client request budget (RATE_LIMIT_PER_MINUTE, 0 = off), counted in Redis so it holds
 * across API processes. If Redis is down the limit is skipped rather than the API refused.
 */
export async function registerRateLimit(app: FastifyInstance, deps: ApiDeps) {
  const max = deps.config.rateLimitPerMinute;
  if (max <= 0) return;
  await app.register(rateLimit, {
    global: true,
    max,
    timeWindow: 60_000,
    redis: deps.redis,
    nameSpace: `${deps.config.queuePrefix}:rate-limit:`,
    skipOnError: true,
    allowList: (req) => EXEMPT.has(req.url.split('?', 1)[0]!),
    errorResponseBuilder: (_req, ctx) => new ApiError('RATE_LIMITED', `more than ${ctx.max} requests a minute from this client; retry in ${ctx.after}`),
  });
}
