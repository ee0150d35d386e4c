import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '@dockyard/shared';

/**
 * CSRF protection of the admin pages' form posts. A browser sends the Basic credentials with
 * every request to this origin, a forged one from another site included, so each POST must
 * prove it comes from a page this API rendered, twice over:
 *
 * 1. a token in the form: `<issued-at seconds>.<HMAC-SHA256(key, "admin-form." + issued-at)>`,
 *    the key derived from API_TOKEN (so every API process, and one restarted, accepts the
 *    tokens of the others, and a token is only ever made by someone holding the API token);
 *    valid CSRF_TOKEN_TTL_S after it was issued. Another site cannot read our pages (same-origin
 *    policy), so it cannot learn one;
 * 2. the request's `Origin` (or, when a browser sends none, its `Referer`) names this host.
 *    The admin pages are served with `Referrer-Policy: same-origin` so that a browser sends them
 *    on same-origin posts (with the API-wide `no-referrer` a form post carries `Origin: null`).
 *
 * Either check failing answers 403 FORBIDDEN in the contract's error shape, before anything is done.
 */
export const CSRF_TOKEN_TTL_S = 12 * 60 * 60;
export const CSRF_FIELD = 'csrf';

export interface Csrf {
  /** a fresh token for a form */
  issue(nowMs?: number): string;
  /** the token is one we issued, and not expired */
  verify(token: unknown, nowMs?: number): boolean;
}

export function makeCsrf(apiToken: string): Csrf {
  const key = createHmac('sha256', apiToken).update('dockyard admin form csrf key').digest();
  const mac = (issued: string) => createHmac('sha256', key).update(`admin-form.${issued}`).digest('base64url');
  return {
    issue(nowMs = Date.now()) {
      const issued = String(Math.floor(nowMs / 1000));
      return `${issued}.${mac(issued)}`;
    },
    verify(token, nowMs = Date.now()) {
      if (typeof token !== 'string') return false;
      const m = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
      if (!m) return false;
      const age = Math.floor(nowMs / 1000) - Number(m[1]);
      if (age < -60 || age > CSRF_TOKEN_TTL_S) return false;
      return timingSafeEqual(Buffer.from(m[2]!), Buffer.from(mac(m[1]!)));
    },
  };
}

/** The host an `Origin` or `Referer` value names, or undefined when it names none (`null`, junk). */
function hostOf(value: string | undefined): string | undefined {
  if (!value || value === 'null') return undefined;
  try {
    return new URL(value).host;
  } catch {
    return undefined;
  }
}

/** Why a form post is refused, or undefined when it is from one of our pages. */
export function csrfRefusal(req: FastifyRequest, csrf: Csrf, token: unknown): string | undefined {
  const origin = req.headers.origin;
  const referer = req.headers.referer;
  const claimed = origin !== undefined ? hostOf(origin) : hostOf(referer);
  if (claimed === undefined) return 'a form post must come from a page of this site: no usable Origin or Referer header';
  if (claimed !== req.host) return 'cross-site form post refused: its Origin is not this site';
  if (!csrf.verify(token)) return 'missing, invalid or expired CSRF token: reload the page and try again';
  return undefined;
}

/** Throws 403 FORBIDDEN unless the post passes both checks. */
export function assertFormPost(req: FastifyRequest, csrf: Csrf, token: unknown): void {
  const refusal = csrfRefusal(req, csrf, token);
  if (refusal) {
    req.log.warn({ reason: refusal, url: req.url }, 'admin form post refused');
    throw new ApiError('FORBIDDEN', refusal);
  }
}
