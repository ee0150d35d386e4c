import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

/**
 * The admin pages' scripts, static files served from this process (the pages' CSP allows
 * scripts from this origin only, never inline). Read once at start from `./assets/` beside
 * this module: apps/api/src/admin/assets/ from source, apps/api/dist/assets/ in the build
 * (scripts/lib/build.mjs copies the folder). Behind the admin pages' auth like every /admin/ path.
 */
const ASSETS = ['live.js'] as const;

export function registerAdminAssets(app: FastifyInstance) {
  for (const name of ASSETS) {
    const text = readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
    app.get(`/admin/assets/${name}`, { schema: { hide: true } }, async (_req, reply) =>
      reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(text),
    );
  }
}
