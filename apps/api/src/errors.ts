import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ApiError } from '@dockyard/shared';

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', '57P01', '57P03', '53300']);

function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (e.code && UNAVAILABLE_CODES.has(e.code)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Connection is closed/i.test(e.message ?? '');
}

/** At most this many issues are listed, each cut to MAX_ISSUE_CHARS: a small request never gets a large answer. */
const MAX_LISTED_ISSUES = 20;
const MAX_ISSUE_CHARS = 200;
const clip = (text: string) => (text.length > MAX_ISSUE_CHARS ? `${text.slice(0, MAX_ISSUE_CHARS - 1)}…` : text);

/** A 400 naming the offending fields: the first MAX_LISTED_ISSUES issues, and how many there were. */
export function validationFailed(what: string, issues: Array<{ path: string; message: string }>, where?: string): ApiError {
  const listed = issues.slice(0, MAX_LISTED_ISSUES).map((i) => ({ path: clip(i.path), message: clip(i.message), ...(where ? { in: where } : {}) }));
  const unlisted = issues.length - listed.length;
  return new ApiError('VALIDATION_FAILED', unlisted > 0 ? `invalid ${what}: ${issues.length} issues, the first ${listed.length} listed` : `invalid ${what}`, listed);
}

/** Every error becomes the contract's `{ error: { code, message, details? } }`; bad input is never a 500. */
export function handleError(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const issues = err.validation.map((v) => ({ path: v.instancePath.replace(/^\//, '').replace(/\//g, '.'), message: v.message ?? 'invalid' }));
    return send(reply, validationFailed(err.validationContext ?? 'request', issues, err.validationContext));
  }
  if (err instanceof ApiError) return send(reply, err);
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return send(reply, new ApiError('PAYLOAD_TOO_LARGE', 'request body is larger than 1 MiB'));
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return send(reply, new ApiError('VALIDATION_FAILED', 'Content-Type must be application/json'));
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return send(reply, new ApiError('VALIDATION_FAILED', 'Content-Length does not match the body'));
  }
  if (err.statusCode === 400 || err instanceof SyntaxError) {
    return send(reply, new ApiError('VALIDATION_FAILED', `malformed request: ${err.message}`));
  }
  if (err.statusCode === 429) return send(reply, new ApiError('RATE_LIMITED', 'too many requests'));
  if (isUnavailable(err)) {
    req.log.warn({ err }, 'dependency unavailable');
    return send(reply, new ApiError('UNAVAILABLE', 'a backing service (Postgres or Redis) is unavailable; retry later'));
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return send(reply, new ApiError('VALIDATION_FAILED', err.message));
  }
  req.log.error({ err }, 'unhandled error');
  return reply.code(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
}

/** The contract's error body. */
export const errorBody = (err: ApiError) => ({
  error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
});

export function send(reply: FastifyReply, err: ApiError) {
  return reply.code(err.statusCode).send(errorBody(err));
}

/** The path is not echoed: the client knows it, and an echo would hand back whatever was in it. */
export function handleNotFound(req: FastifyRequest, reply: FastifyReply) {
  return send(reply, new ApiError('NOT_FOUND', `no route for ${req.method} on this path (GET /openapi.json lists the routes)`));
}
