import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { ApiError } from '@dockyard/shared';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** A constant-time check against one token (hashing makes the lengths equal; the token's own hash is made once). */
export function makeTokenCheck(expected: string): (given: string) => boolean {
  const want = digest(expected);
  return (given) => timingSafeEqual(digest(given), want);
}

// Exactly `<scheme> <credential>`, one space; the credential is everything after it (compared whole).
const AUTHORIZATION = /^(?<scheme>[A-Za-z]+) (?<credential>\S.*)$/s;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The presented credential: `Bearer <token>`, or (for browsers) `Basic <base64 of user:token>`.
 * Parsed strictly: anything after the token is part of what is compared, so `Bearer <token> junk`
 * is a wrong token, not the token.
 */
export function credentialOf(req: FastifyRequest, allowBasic: boolean): string | undefined {
  const parts = AUTHORIZATION.exec(req.headers.authorization ?? '')?.groups;
  if (!parts) return undefined;
  const scheme = parts.scheme!.toLowerCase();
  if (scheme === 'bearer') return parts.credential;
  if (allowBasic && scheme === 'basic' && BASE64.test(parts.credential!)) {
    const decoded = Buffer.from(parts.credential!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

const PUBLIC = new Set(['/healthz', '/readyz']);
const BROWSER_PREFIXES = ['/admin/', '/docs', '/openapi.json', '/metrics'];

/** onRequest hook: everything but the health probes needs the token (synchronous: no promise per request). */
export function makeAuthHook(apiToken: string) {
  const tokenMatches = makeTokenCheck(apiToken);
  const refusal = (req: FastifyRequest, reply: FastifyReply): ApiError | undefined => {
    const path = req.url.split('?', 1)[0]!;
    if (PUBLIC.has(path)) return undefined;
    const browser = BROWSER_PREFIXES.some((p) => path === p.replace(/\/$/, '') || path.startsWith(p));
    const given = credentialOf(req, browser);
    if (given !== undefined && tokenMatches(given)) return undefined;
    if (browser) reply.header('WWW-Authenticate', 'Basic realm="dockyard", charset="UTF-8"');
    if (given !== undefined) return new ApiError('UNAUTHORIZED', 'invalid token');
    return new ApiError('UNAUTHORIZED', req.headers.authorization ? 'the Authorization header must be "Bearer <token>"' : 'missing bearer token');
  };
  return (req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => done(refusal(req, reply));
}
