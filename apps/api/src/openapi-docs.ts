import type { FastifyInstance, RouteOptions } from 'fastify';

interface RouteDoc {
  tags: string[];
  summary: string;
  description?: string;
  /** `[]` marks a route that needs no credentials */
  security?: never[];
}

/**
 * Routes that serve no JSON body (probes, Prometheus text, HTML pages) and are registered
 * hidden, by their own code or by a plugin (swagger-ui, bull-board). They are still
 * routes of the contract, so /openapi.json lists them with a summary (no body schemas).
 */
const DOCS: Record<string, RouteDoc> = {
  '/healthz': { tags: ['health'], summary: 'Liveness: 200 {"status":"ok"}', security: [] },
  '/readyz': { tags: ['health'], summary: 'Readiness: 200 when Postgres and Redis answer, else 503 naming which', security: [] },
  '/openapi.json': { tags: ['operations'], summary: 'This OpenAPI document, generated from the zod request schemas' },
  '/docs': { tags: ['operations'], summary: 'Interactive API documentation (HTML)' },
  '/admin/queues': {
    tags: ['operations'],
    summary: 'Queue UI (bull-board, HTML) over every Dockyard queue, the dead-letter queue read-only',
    description: 'Accepts HTTP Basic auth with the API token as password, so a browser can log in.',
  },
};

const isGet = (method: RouteOptions['method']) => (Array.isArray(method) ? method.includes('GET') : method === 'GET');

/** An onRoute hook (add it before any route is registered) that un-hides and describes the routes above. */
export function documentPlainRoutes(app: FastifyInstance) {
  app.addHook('onRoute', (route) => {
    const schema = route.schema as { hide?: boolean } | undefined;
    if (!isGet(route.method) || schema?.hide !== true) return;
    // (a plugin's '/' route is listed as '<prefix>/': Fastify registers it at both)
    if (DOCS[route.url]) route.schema = { ...schema, hide: false, ...DOCS[route.url] };
  });
}
