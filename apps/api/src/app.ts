import Fastify, { LogController, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { makeFreshRecorder, makeWorkspaceReader } from '@dockyard/shared';
import type { ApiDeps } from './deps.ts';
import { makeAuthHook } from './auth.ts';
import { handleError, handleNotFound } from './errors.ts';
import { answerClientError, handleFrameworkError } from './protocol-errors.ts';
import { logRequests, withRequestSerializer } from './request-log.ts';
import { parseEmptyJsonAsNoBody } from './json-body.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerWorkspaceRoutes } from './routes/workspaces.ts';
import { registerWorkspacePatchRoute } from './routes/workspace-patch.ts';
import { registerDeadLetterRoutes } from './routes/dead-letters.ts';
import { registerMetrics } from './metrics.ts';
import { documentPlainRoutes } from './openapi-docs.ts';
import { registerAdmin } from './admin/register-admin.ts';
import { registerAutoRestartRoutes } from './routes/auto-restart.ts';
import { registerAuthFailureLimit, registerRateLimit } from './rate-limit.ts';
import { registerSecurityHeaders } from './security-headers.ts';
import { registerInstallationRoutes } from './routes/installation.ts';
import { registerHostRoutes } from './routes/hosts.ts';
import { registerWatchRoutes } from './routes/watch.ts';

const BODY_LIMIT = 1024 * 1024;

/** Build the Fastify app without listening (main.ts listens; tests use inject or listen on port 0). */
export async function buildApp(given: ApiDeps): Promise<FastifyInstance> {
  // a request's first read of its workspace shares one statement with the others of its pass of the event loop
  const deps: ApiDeps = {
    ...given,
    readWorkspace: given.readWorkspace ?? makeWorkspaceReader(given.pool),
    recordFresh: given.recordFresh ?? makeFreshRecorder(given.pool),
  };
  // the whole request, headers and body, must arrive within REQUEST_TIMEOUT_MS, else it is answered and the connection closed
  const timeout = deps.config.requestTimeoutMs;
  const app = Fastify({
    requestTimeout: timeout,
    http: { requestTimeout: timeout, headersTimeout: timeout, connectionsCheckingInterval: Math.min(1_000, timeout) },
    loggerInstance: withRequestSerializer(deps.log),
    // one access line per request (logRequests below), not Fastify's two; errors are logged by handleError
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    frameworkErrors: handleFrameworkError,
    clientErrorHandler: answerClientError,
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  logRequests(app);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  parseEmptyJsonAsNoBody(app);
  registerSecurityHeaders(app);
  registerAuthFailureLimit(app, deps);
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
  await registerWorkspacePatchRoute(app, deps);
  registerDeadLetterRoutes(app, deps);
  registerAutoRestartRoutes(app, deps);
  registerInstallationRoutes(app, deps);
  registerHostRoutes(app, deps);
  registerWatchRoutes(app, deps);
  await registerAdmin(app, deps);
  return app;
}
