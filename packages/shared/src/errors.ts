/**
 * Domain errors. Each has a stable `name` so callers and BullMQ retry logic can
 * tell them apart after serialisation, and carries the original error as `cause`.
 */

/** A failure that no retry can fix: bad payload, unknown runtime, missing template or image. */
export class PermanentError extends Error {
  override name = 'PermanentError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A failure worth retrying: Docker 5xx, timeouts, connection refused, Postgres unavailable. */
export class TransientError extends Error {
  override name = 'TransientError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A job's write was refused because a newer job holds the workspace (fencing). */
export class FencedError extends Error {
  override name = 'FencedError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export type ApiErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE';

const statusOf: Record<ApiErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
};

/** An error the HTTP API answers with `{ error: { code, message, details? } }`. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly statusCode: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.statusCode = statusOf[code];
  }
}

/** Where an error's message lives, whatever was thrown. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
