import type { FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';

/**
 * One Content-Security-Policy for every answer, pages and JSON alike: everything from this
 * origin only (the queue UI, the admin pages and /docs load nothing else), inline styles allowed
 * (the admin pages and the queue UI carry some), no inline script, never framed. It also stops the
 * queue UI's stylesheet of third-party web fonts: the UI falls back to the system fonts.
 */
const CSP_DIRECTIVES = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"], // the queue UI's page sets <base href="/admin/queues/">
  'connect-src': ["'self'"],
  'font-src': ["'self'", 'data:'],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
};

/**
 * Security headers on every answer (@fastify/helmet, registered before the auth hook so a 401
 * carries them too): CSP as above, `X-Frame-Options: DENY`, `X-Content-Type-Options: nosniff`,
 * `Referrer-Policy: no-referrer`, and `Cache-Control: no-store` on everything whose handler set
 * no caching of its own (the static files of the queue UI and /docs keep theirs). No HSTS: this
 * process speaks plain HTTP; whatever terminates TLS in front of it owns that header.
 */
export async function registerSecurityHeaders(app: FastifyInstance) {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: false,
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
}
