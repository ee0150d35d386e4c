import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Queue } from 'bullmq';
import { ApiError } from '@dockyard/shared';
import { errorBody } from '../errors.ts';

/**
 * What the queue UI may change, per bull-board API route (bull-board 9; paths below its base).
 * Every read (GET) is allowed on every queue; the dead-letter queue allows nothing else; a route
 * this table does not name is refused, so an action a new bull-board version brings stays off
 * until someone decides it here. A lifecycle queue (`<kind>@<host>`) allows:
 * - pause and resume: they touch no job; an accepted request stays recorded in Postgres and its
 *   job waits in the queue until the queue is resumed;
 * - promote (a delayed job now): the job already is a recorded request (a retry's backoff, a
 *   crash-loop restart, a job waiting for its workspace); only its start moves, and the run slot
 *   still lets one job at a time run per workspace;
 * - clean and remove of finished (completed or failed) jobs only: they are history; the event
 *   log and the dead letters stay in Postgres, and the reconciler re-enqueues a recorded request
 *   whose job is gone.
 */
type Rule = 'allowed' | 'finished-only' | { refused: string };

const BYPASS =
  'it would put a job into a worker queue, or change one, outside the intent log (Postgres, run slot, event log); ' +
  'ask the API instead (POST /v1/workspaces/:id/restart or /stop, DELETE /v1/workspaces/:id, POST /v1/dead-letters/:id/replay)';
// A finished job has released its workspace's run slot, so its retry is fenced: it ends
// "superseded", shown as completed, having done nothing (the reconciler re-enqueues a request
// Postgres still records). Offering it would only mislead.
const RETRY = 'a finished job has released its workspace, so a retry would not run it again; re-run a workspace with POST /v1/workspaces/:id/restart or POST /v1/dead-letters/:id/replay';
const STRANDS = 'it would drop or hold back accepted requests that Postgres records as queued';
const OWNED = 'the workers set it from their configuration (RESTART_CONCURRENCY, RESTART_RATE_PER_SEC, catalog priorities)';

const LIFECYCLE_RULES: Record<string, Rule> = {
  'PUT /api/queues/pause': 'allowed',
  'PUT /api/queues/resume': 'allowed',
  'PUT /api/queues/:queueName/pause': 'allowed',
  'PUT /api/queues/:queueName/resume': 'allowed',
  'PUT /api/queues/:queueName/promote': 'allowed',
  'PUT /api/queues/:queueName/:jobId/promote': 'allowed',
  'PUT /api/queues/:queueName/clean/:queueStatus': 'finished-only',
  'PUT /api/queues/:queueName/:jobId/clean': 'finished-only',
  'POST /api/queues/:queueName/add': { refused: BYPASS },
  'PATCH /api/queues/:queueName/:jobId/update-data': { refused: BYPASS },
  'PUT /api/queues/:queueName/retry/:queueStatus': { refused: RETRY },
  'PUT /api/queues/:queueName/:jobId/retry': { refused: RETRY },
  'PUT /api/queues/:queueName/empty': { refused: STRANDS },
  'PUT /api/queues/:queueName/obliterate': { refused: STRANDS },
  'PATCH /api/queues/:queueName/:jobId/delay': { refused: STRANDS },
  'PATCH /api/queues/:queueName/:jobId/priority': { refused: OWNED },
  'PUT /api/queues/:queueName/concurrency': { refused: OWNED },
  'PUT /api/queues/:queueName/rate-limit': { refused: OWNED },
  'PUT /api/queues/:queueName/rate-limit/release': { refused: OWNED },
};

const FINISHED = new Set(['completed', 'failed']);

export interface QueueUiGuardOptions {
  /** where bull-board is mounted, e.g. /admin/queues */
  basePath: string;
  deadLetterQueue: string;
  /** the queue the board shows under this name, if any */
  queueNamed(name: string): Queue | undefined;
}

/**
 * In front of bull-board's API routes (register in the scope that holds bull-board): refuse what
 * LIFECYCLE_RULES refuses, before the body is parsed, and answer every error in the contract's
 * shape. bull-board builds its error messages from keys joined by NUL characters, so a NUL in a
 * query string could break its own error answer: such a URL is refused first.
 */
export function guardQueueUi(scope: FastifyInstance, opts: QueueUiGuardOptions) {
  const api = `${opts.basePath}/api/`;
  scope.addHook('onRequest', async (req) => {
    if (!req.url.startsWith(api)) return;
    if (/%00/i.test(req.url)) throw new ApiError('VALIDATION_FAILED', 'the URL holds a NUL character (%00)');
    if (req.method === 'GET' || req.method === 'HEAD' || req.is404) return;
    const refusal = await refusalOf(req, opts);
    if (refusal) throw new ApiError('CONFLICT', refusal);
  });
  scope.addHook('onSend', async (req, reply, payload) => {
    if (!req.url.startsWith(api) || reply.statusCode < 400 || typeof payload !== 'string') return payload;
    const answer = contractAnswerOf(reply.statusCode, payload);
    if (!answer) return payload;
    reply.code(answer.statusCode);
    return JSON.stringify(answer.body);
  });
}

async function refusalOf(req: FastifyRequest, opts: QueueUiGuardOptions): Promise<string | undefined> {
  const { queueName, queueStatus, jobId } = req.params as Record<string, string | undefined>;
  const route = `${req.method} ${(req.routeOptions.url ?? '').slice(opts.basePath.length)}`;
  if (queueName === opts.deadLetterQueue) {
    return 'the dead-letter queue is read-only: replay a dead letter with POST /v1/dead-letters/:id/replay';
  }
  const rule = LIFECYCLE_RULES[route] ?? { refused: 'Dockyard does not offer this queue UI action' };
  if (rule === 'allowed') return undefined;
  if (rule !== 'finished-only') return `${route} is not offered on lifecycle queues: ${rule.refused}`;
  if (queueStatus !== undefined) {
    return FINISHED.has(queueStatus) ? undefined : `only completed or failed jobs may be cleaned: ${STRANDS}`;
  }
  const job = queueName && jobId ? await opts.queueNamed(queueName)?.getJob(jobId) : undefined;
  if (!job) return undefined; // bull-board answers 404
  const state = await job.getState();
  return FINISHED.has(state) ? undefined : `job ${jobId} is ${state}: only completed or failed jobs may be removed, ${STRANDS}`;
}

/** bull-board's own error answers, `{ error: { key, options? } }`, in the contract's shape (the app's for a 5xx). */
function contractAnswerOf(status: number, payload: string): { statusCode: number; body: unknown } | undefined {
  let body: { error?: { key?: unknown; options?: Record<string, unknown> } };
  try {
    body = JSON.parse(payload);
  } catch {
    return undefined;
  }
  const key = body.error?.key;
  if (typeof key !== 'string') return undefined; // already in the contract's shape
  if (status >= 500) return { statusCode: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } } };
  const words = key.replace(/^ERRORS\./, '').toLowerCase().replace(/_/g, ' ');
  const options = Object.entries(body.error?.options ?? {}).map(([k, v]) => `${k}: ${String(v).slice(0, 60)}`);
  const message = options.length ? `${words} (${options.join(', ')})` : words;
  const code = status === 404 ? 'NOT_FOUND' : status === 405 || status === 409 ? 'CONFLICT' : 'VALIDATION_FAILED';
  const err = new ApiError(code, message);
  return { statusCode: err.statusCode, body: errorBody(err) };
}
