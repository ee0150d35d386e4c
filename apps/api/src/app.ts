import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { ApiDeps } from './deps.ts';
import { makeAuthHook } from './auth.ts';
import { handleError, handleNotFound } from './errors.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerWorkspaceRoutes } from './routes/workspaces.ts';
import { registerDeadLetterRoutes } from './routes/dead-letters.ts';
import { registerMetrics } from './metrics.ts';
import { documentPlainRoutes } from './openapi-docs.ts';
import { registerAdmin } from './admin/register-admin.ts';
import { registerAutoRestartRoutes } from './routes/auto-restart.ts';
import { registerRateLimit } from './rate-limit.ts';
import { registerInstallationRoutes } from './routes/installation.ts';
import { registerHostRoutes } from './routes/hosts.ts';

const BODY_LIMIT = 1024 * 1024;

/** Build the Fastify app without listening (main.ts listens; tests use inject or listen on port 0). */
export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as unknown as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  app.addHook('onRequest', makeAuthHook(deps.config.apiToken));
  await registerRateLimit(app, deps);
  documentPlainRoutes(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Dockyard API', version: '0.1.0', description: 'Durable lifecycle jobs for agent workspaces.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  registerMetrics(app, deps);
  registerHealthRoutes(app, deps);
  registerWorkspaceRoutes(app, deps);
  registerDeadLetterRoutes(app, deps);
  registerAutoRestartRoutes(app, deps);
  registerInstallationRoutes(app, deps);
  registerHostRoutes(app, deps);
  await registerAdmin(app, deps);
  return app;
}
