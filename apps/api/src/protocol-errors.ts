import { STATUS_CODES } from 'node:http';
import { logAnswered } from './request-log.ts';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '@dockyard/shared';
import { errorBody, handleError, send } from './errors.ts';

/**
 * Errors raised before a request reaches a route, answered in the contract's shape like any other.
 * The router's (Fastify's `frameworkErrors`): a path that is not valid %-encoding, a path segment
 * over the router's limit. Neither echoes the path back.
 */
export function handleFrameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  // answered before any route, so no onResponse hook logs it
  reply.raw.once('finish', () => logAnswered(req, reply));
  switch (err.code) {
    case 'FST_ERR_BAD_URL':
      return send(reply, new ApiError('VALIDATION_FAILED', 'the URL path is not valid %-encoding'));
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return send(reply, new ApiError('VALIDATION_FAILED', 'a path segment is too long (ids are UUIDs; host names are at most 63 characters)'));
  }
  return handleError(err, req, reply);
}

/** The HTTP parser's refusals, by Node's error code; each answer uses the status of its contract code. */
function answerOf(code: string | undefined): ApiError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new ApiError('PAYLOAD_TOO_LARGE', 'the request headers are too large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ApiError('VALIDATION_FAILED', 'the request did not arrive in time');
    default:
      // malformed, duplicate or negative Content-Length, bad chunked encoding, a bad request line or header
      return new ApiError('VALIDATION_FAILED', 'malformed HTTP request');
  }
}

/**
 * Fastify's `clientErrorHandler`: the parser refused the bytes, so there is no request or reply
 * object and the answer is written to the socket. The error's raw packet (credentials, URL) is
 * never logged, only its code.
 */
export function answerClientError(this: FastifyInstance, err: Error & { code?: string }, socket: Socket) {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  this.log.debug({ code: err.code }, 'malformed HTTP request refused');
  const answer = answerOf(err.code);
  const body = JSON.stringify(errorBody(answer));
  // as Node does: never write into a response that has begun
  const inProgress = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (socket.writable && !inProgress) {
    socket.write(
      `HTTP/1.1 ${answer.statusCode} ${STATUS_CODES[answer.statusCode]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
