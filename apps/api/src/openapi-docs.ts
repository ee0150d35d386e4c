import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { z } from 'zod';
import { errorResponses } from './schemas.ts';

/** A 200 answer that is not JSON: an HTML page, Prometheus text. */
export const textAnswer = (mediaType: 'text/html' | 'text/plain', description: string) => ({
  description,
  content: { [mediaType]: { schema: z.string() } },
});

interface RouteDoc {
  tags?: string[];
  summary?: string;
  description?: string;
  /** `[]` marks a route that needs no credentials */
  security?: never[];
  response?: Record<number, unknown>;
}

/** This document: its own 200 body, checked only for what makes it OpenAPI. */
const OpenApiDocument = z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.record(z.string(), z.unknown()) });

/**
 * Routes that serve no JSON body (probes, Prometheus text, HTML pages) and are registered
 * hidden, by their own code or by a plugin (swagger-ui, bull-board). They are still
 * routes of the contract, so /openapi.json lists them with a summary and their answers.
 * `/admin/workspaces` is listed by its own code; its answers are completed here.
 */
const DOCS: Record<string, RouteDoc> = {
  '/healthz': { tags: ['health'], summary: 'Liveness: 200 {"status":"ok"}', security: [] },
  '/readyz': { tags: ['health'], summary: 'Readiness: 200 when Postgres and Redis answer, else 503 naming which', security: [] },
  '/openapi.json': {
    tags: ['operations'],
    summary: 'This OpenAPI document, generated from the zod request schemas',
    response: { 200: OpenApiDocument, ...errorResponses({ method: 'GET', backends: false }) },
  },
  '/docs': {
    tags: ['operations'],
    summary: 'Interactive API documentation (HTML)',
    response: { 200: textAnswer('text/html', 'the page'), ...errorResponses({ method: 'GET', backends: false }) },
  },
  '/admin/queues': {
    tags: ['operations'],
    summary: 'Queue UI (bull-board, HTML) over every Dockyard queue, the dead-letter queue read-only',
    description: 'Accepts HTTP Basic auth with the API token as password, so a browser can log in.',
    response: { 200: textAnswer('text/html', 'the page'), ...errorResponses({ method: 'GET', backends: false }) },
  },
  '/admin/workspaces': {
    response: { 200: textAnswer('text/html', 'the page'), ...errorResponses({ method: 'GET', validates: true }) },
  },
};

/** Every listed route but the health probes asks for the API token (bearer; the browser routes also take it as Basic auth). */
const BEARER = [{ bearer: [] as string[] }];

const isGet = (method: RouteOptions['method']) => (Array.isArray(method) ? method.includes('GET') : method === 'GET');

/**
 * An onRoute hook (add it before any route is registered) that un-hides and describes the routes
 * above, and declares the security of every listed route on the route itself.
 */
export function documentPlainRoutes(app: FastifyInstance) {
  app.addHook('onRoute', (route) => {
    let schema = route.schema as (FastifySchema & { hide?: boolean; security?: unknown }) | undefined;
    // (a plugin's '/' route is listed as '<prefix>/': Fastify registers it at both)
    const doc = isGet(route.method) ? DOCS[route.url] : undefined;
    // a hidden route is listed with its doc; a listed one without answers gets the doc's
    if (doc && (schema?.hide === true || (schema && !schema.response))) {
      schema = { ...schema, hide: false, ...doc, response: { ...doc.response, ...(schema.response as object) } };
    }
    if (schema && schema.hide !== true && schema.security === undefined) schema = { ...schema, security: BEARER };
    route.schema = schema as FastifySchema | undefined;
  });
}
