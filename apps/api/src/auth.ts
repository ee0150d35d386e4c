import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '@dockyard/shared';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time comparison (hashing first makes the lengths equal). */
export function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The presented credential: a Bearer token, or (for browsers) the password of HTTP Basic auth. */
export function credentialOf(req: FastifyRequest, allowBasic: boolean): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const [scheme, value] = header.split(' ', 2);
  if (!value) return undefined;
  if (scheme?.toLowerCase() === 'bearer') return value.trim();
  if (allowBasic && scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

const PUBLIC = new Set(['/healthz', '/readyz']);
const BROWSER_PREFIXES = ['/admin/', '/docs', '/openapi.json', '/metrics'];

/** onRequest hook: everything but the health probes needs the token. */
export function makeAuthHook(apiToken: string) {
  return async (req: FastifyRequest, reply: import('fastify').FastifyReply) => {
    const path = req.url.split('?', 1)[0]!;
    if (PUBLIC.has(path)) return;
    const browser = BROWSER_PREFIXES.some((p) => path === p.replace(/\/$/, '') || path.startsWith(p));
    const given = credentialOf(req, browser);
    if (given !== undefined && tokenMatches(given, apiToken)) return;
    if (browser) reply.header('WWW-Authenticate', 'Basic realm="dockyard", charset="UTF-8"');
    throw new ApiError('UNAUTHORIZED', given === undefined ? 'missing bearer token' : 'invalid token');
  };
}
