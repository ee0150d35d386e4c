import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@dockyard/shared';

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remoteAddress?: string; remotePort?: number };
}

/**
 * A request as every log line shows it (Fastify's `req` serializer): its path without the query
 * string, because clients put tokens there (`?token=`, `?access_token=`, `?api_key=`).
 */
export function toLoggedRequest(req: LoggedRequest) {
  return {
    method: req.method,
    url: req.url?.split('?', 1)[0],
    host: req.host,
    remoteAddress: req.ip ?? req.socket?.remoteAddress,
    remotePort: req.socket?.remotePort,
  };
}

/** The app's logger: the process logger with the request serializer above (Fastify keeps a logger's own serializers). */
export const withRequestSerializer = (log: Logger) => log.child({}, { serializers: { req: toLoggedRequest } }) as unknown as FastifyBaseLogger;

/** The one line of an answered request: method, path (no query), status, time taken. */
export function logAnswered(req: FastifyRequest, reply: FastifyReply): void {
  req.log.info({ req, res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime }, 'request completed');
}

/** Log every request once, when it is answered (the router's refusals log themselves: protocol-errors.ts). */
export function logRequests(app: FastifyInstance): void {
  app.addHook('onResponse', (req, reply, done) => {
    logAnswered(req, reply);
    done();
  });
}
