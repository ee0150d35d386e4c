import type { FastifyBaseLogger } from 'fastify';
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
