import { PermanentError, TransientError } from '@dockyard/shared';

const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOENT', 'EAI_AGAIN', 'ESOCKETTIMEDOUT', 'EHOSTUNREACH']);

export const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;
const reasonOf = (err: unknown): string => {
  const e = err as { json?: { message?: string }; reason?: string; message?: string };
  return e.json?.message ?? e.message ?? e.reason ?? String(err);
};

/**
 * Classify a Docker engine error once: a missing image or a request the engine
 * rejects as invalid is permanent; 5xx, timeouts and connection failures are transient.
 * Callers handle the 404/409 cases they expect (inspect-before-create) themselves.
 */
export function classifyDockerError(err: unknown, what: string): Error {
  if (err instanceof PermanentError || err instanceof TransientError) return err;
  const status = statusOf(err);
  const reason = reasonOf(err);
  if (status === 404 && /no such image|pull access denied|not found.*image|image.*not found/i.test(reason)) {
    return new PermanentError(`${what}: image not found (${reason})`, { cause: err });
  }
  if (status === 400) return new PermanentError(`${what}: rejected by Docker (${reason})`, { cause: err });
  if (status !== undefined && status >= 500) return new TransientError(`${what}: Docker error ${status} (${reason})`, { cause: err });
  const code = (err as { code?: string }).code;
  if ((code && TRANSIENT_CODES.has(code)) || /timeout|socket hang up/i.test(reason)) {
    return new TransientError(`${what}: Docker unreachable (${code ?? reason})`, { cause: err });
  }
  return new TransientError(`${what}: ${reason}`, { cause: err });
}

/** Run a Docker call, turning its failure into a classified error. */
export async function dockerCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw classifyDockerError(err, what);
  }
}
