import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The message an action leaves for the page it redirects to: a short-lived cookie (HttpOnly,
 * SameSite=Strict, path /admin), read and cleared by the next admin page rendered. A cookie
 * rather than a query parameter, so no link can make a page show a message of its choosing.
 */
const COOKIE = 'dockyard_flash';
const MAX_LINES = 8;
const MAX_ENCODED = 3000;

export function setFlash(reply: FastifyReply, lines: string[]): void {
  const shown = lines.length > MAX_LINES ? [...lines.slice(0, MAX_LINES), `… and ${lines.length - MAX_LINES} more`] : lines;
  let value = encodeURIComponent(shown.join('\n'));
  if (value.length > MAX_ENCODED) value = value.slice(0, MAX_ENCODED).replace(/%[0-9A-F]?$/i, '');
  reply.header('set-cookie', `${COOKIE}=${value}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=60`);
}

/** The flash lines left for this page (and clear them), or none. */
export function takeFlash(req: FastifyRequest, reply: FastifyReply): string[] {
  const raw = (req.headers.cookie ?? '').split(/;\s*/).find((c) => c.startsWith(`${COOKIE}=`));
  if (!raw) return [];
  reply.header('set-cookie', `${COOKIE}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0`);
  try {
    return decodeURIComponent(raw.slice(COOKIE.length + 1)).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
