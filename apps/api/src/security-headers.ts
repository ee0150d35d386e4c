import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

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
 * The headers helmet sets, taken once: none of them depends on the request (no nonces), so each
 * answer gets the same set from one object. (@fastify/helmet builds helmet's whole middleware
 * chain again on every request, CSP parsing included: 4–5 % of the API's CPU under load.)
 */
export function helmetHeaders(options: Parameters<typeof helmet>[0]): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: string | number) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  let failed: unknown;
  helmet(options)({} as IncomingMessage, res as unknown as ServerResponse, (err?: unknown) => void (failed = err));
  if (failed) throw failed;
  return headers;
}

/**
 * Security headers on every answer (helmet's, set by the first onRequest hook so a 401 carries
 * them too): CSP as above, `X-Frame-Options: DENY`, `X-Content-Type-Options: nosniff`,
 * `Referrer-Policy: no-referrer` (a route may set its own), and `Cache-Control: no-store` on
 * everything whose handler set no caching of its own (the static files of the queue UI and /docs
 * keep theirs). No HSTS: this process speaks plain HTTP; whatever terminates TLS in front of it
 * owns that header.
 */
export function registerSecurityHeaders(app: FastifyInstance) {
  const headers = helmetHeaders({
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: false,
  });
  app.addHook('onRequest', (_req, reply, done) => {
    reply.headers(headers);
    done();
  });
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });
}
