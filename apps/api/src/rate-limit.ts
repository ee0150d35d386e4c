import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { ApiError } from '@dockyard/shared';
import type { ApiDeps } from './deps.ts';

const EXEMPT = new Set(['/healthz', '/readyz']);
const isExempt = (req: FastifyRequest) => EXEMPT.has(req.url.split('?', 1)[0]!);
const WINDOW_MS = 60_000;

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
    timeWindow: WINDOW_MS,
    redis: deps.redis,
    nameSpace: `${deps.config.queuePrefix}:rate-limit:`,
    skipOnError: true,
    allowList: isExempt,
    errorResponseBuilder: (_req, ctx) => new ApiError('RATE_LIMITED', `more than ${ctx.max} requests a minute from this client; retry in ${ctx.after}`),
  });
}

/**
 * Failed authentication per client IP (AUTH_FAILURES_PER_MINUTE, 0 = off). Every 401 is counted
 * in Redis, in a window of a minute from the client's first failure; once the count reaches the
 * budget, every request from that IP answers 429 until the window ends — one with the right token
 * too, or the 429 itself would tell a right guess from a wrong one. Valid requests are never
 * counted and cost nothing: a process learns that a client is blocked from the counts its own 401s
 * return, so with N API processes a client gets at most N − 1 guesses past the budget. If Redis
 * is down failures go uncounted rather than the API refused. Register before the auth hook.
 */
export function registerAuthFailureLimit(app: FastifyInstance, deps: ApiDeps) {
  const max = deps.config.authFailuresPerMinute;
  if (max <= 0) return;
  const blockedUntil = new Map<string, number>();

  // both hooks are synchronous for every request that is not refused: no promise per request
  app.addHook('onRequest', (req, reply, done) => {
    const until = blockedUntil.get(req.ip);
    if (until === undefined || isExempt(req)) return done();
    const seconds = Math.ceil((until - Date.now()) / 1000);
    if (seconds <= 0) {
      blockedUntil.delete(req.ip);
      return done();
    }
    reply.header('retry-after', String(seconds));
    done(new ApiError('RATE_LIMITED', `more than ${max} refused requests a minute from this client; retry in ${seconds} s`));
  });

  const countFailure = async (ip: string) => {
    const key = `${deps.config.queuePrefix}:auth-failures:${ip}`;
    const counted = await deps.redis.multi().set(key, '0', 'PX', WINDOW_MS, 'NX').incr(key).pttl(key).exec().catch(() => null);
    const [count, ttl] = [Number(counted?.[1]?.[1]), Number(counted?.[2]?.[1])];
    if (count >= max && ttl > 0) {
      if (blockedUntil.size >= 10_000) forgetExpired(blockedUntil);
      blockedUntil.set(ip, Date.now() + ttl);
    }
  };
  app.addHook('onSend', (req, reply, payload, done) => {
    if (reply.statusCode !== 401) return done(null, payload);
    void countFailure(req.ip).then(() => done(null, payload));
  });
}

function forgetExpired(blockedUntil: Map<string, number>) {
  const now = Date.now();
  for (const [ip, until] of blockedUntil) if (until <= now) blockedUntil.delete(ip);
}
