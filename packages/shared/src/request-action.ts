import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import { enqueueAction, type Queues } from './catalog.ts';
import { mergeActions, type Action, type ActionKind } from './actions.ts';
import type { TimingEnv } from './config.ts';
import { jobIdOf } from './names.ts';
import { withTransaction } from './db/pool.ts';
import { getWorkspace, insertWorkspace, lockWorkspace, setQueuedAction, type DesiredState, type WorkspaceRow } from './db/workspaces.ts';
import { markRemoved, resetCrashLoop, settleUnplaced } from './db/workspace-status.ts';
import { placeOn, type PlacementRequest } from './placement.ts';
import { insertEvent } from './db/events.ts';
import { claimIdempotencyKey } from './db/idempotency-keys.ts';
import type { SecretBox } from './secrets.ts';
import { sealEnv } from './workspace-env.ts';
import { recordWithoutTransaction } from './request-fast-path.ts';
import { recorderOf, type FreshAsk, type FreshRecorder } from './db/fresh-actions.ts';
import type { WorkspaceReader } from './db/workspace-reads.ts';

/**
 * Recording an action: every request is written to Postgres first (the source of truth),
 * then its job is enqueued. A request arriving while another waits is merged into
 * the waiting one (coalesced) instead of queueing a third.
 */
export interface ActionDeps {
  pool: pg.Pool;
  queues: Queues;
  timing: TimingEnv;
  log: Logger;
  /** how an automatic restart reads its workspace first (the API batches these reads: makeWorkspaceReader); one query each by default */
  readWorkspace?: WorkspaceReader;
  /** a request's first statement, its read and common-case write (the API batches them: makeFreshRecorder); one statement each by default */
  recordFresh?: FreshRecorder;
}

export type RequestResult =
  | { kind: 'not-found' }
  | { kind: 'removed'; workspace: WorkspaceRow }
  | { kind: 'accepted'; workspace: WorkspaceRow; jobId: string; coalesced: boolean };

/** BullMQ priorities: no priority runs first (operators); then automatic restarts; then bulk ones. */
export const AUTO_PRIORITY = 5;
export const BULK_PRIORITY = 10;

/** What the workspace should be once the action has run, or null: unchanged (a table over the kinds: a new kind must decide). */
export const desiredStateOf: Record<ActionKind, DesiredState | null> = {
  provision: 'running',
  restart: 'running',
  stop: 'stopped',
  remove: 'removed',
  move: null,
};

export interface PendingEnqueue {
  workspaceId: string;
  /** the workspace's host; null while it waits for one (nothing to enqueue yet) */
  host: string | null;
  generation: number;
  kind: Action['kind'];
  priority?: number;
  delayMs?: number;
  replaced?: { jobId: string; kind: Action['kind'] };
}

/**
 * Put an action in a locked workspace's queued slot: merge it into the waiting
 * action if there is one (same kind → same job), else a new generation and job id.
 */
export async function queueAction(
  client: pg.PoolClient,
  row: WorkspaceRow,
  incoming: Action,
): Promise<{ workspace: WorkspaceRow; jobId: string; coalesced: boolean; pending?: PendingEnqueue }> {
  const queued = row.queued_job_id && row.queued_action ? row.queued_action : undefined;
  const action = queued ? mergeActions(queued, incoming) : incoming;
  const coalesced = queued !== undefined && action.kind === queued.kind;
  const generation = coalesced ? row.generation : row.generation + 1;
  const jobId = coalesced ? row.queued_job_id! : jobIdOf(row.id, generation);
  if (row.host === null && (action.kind === 'stop' || action.kind === 'remove')) {
    // placed nowhere yet, so nothing exists on any engine: the action is done at once
    const workspace = await settleUnplaced(client, row.id, { generation, status: action.kind === 'stop' ? 'paused' : 'removed', desiredState: desiredStateOf[action.kind]! });
    await insertEvent(client, { workspaceId: row.id, from: row.status, to: workspace.status, cause: action.cause, jobId, message: 'never placed on a host: nothing to do on Docker' });
    return { workspace, jobId, coalesced: false };
  }
  let workspace = await setQueuedAction(client, row.id, {
    generation,
    jobId,
    action,
    desiredState: desiredStateOf[action.kind],
    step: row.running_job_id ? row.step : row.host === null ? 'unscheduled' : 'queued',
  });
  if (action.kind === 'remove' && row.status !== 'removed') {
    // The tombstone is immediate: from here on no job may move this workspace again.
    workspace = await markRemoved(client, row.id);
    await insertEvent(client, { workspaceId: row.id, from: row.status, to: 'removed', cause: action.cause, jobId });
  }
  const pending = coalesced
    ? undefined
    : { workspaceId: row.id, host: row.host, generation, kind: action.kind, replaced: queued ? { jobId: row.queued_job_id!, kind: queued.kind } : undefined };
  return { workspace, jobId, coalesced, pending };
}

export async function requestAction(
  deps: ActionDeps,
  workspaceId: string,
  incoming: Action,
  opts: { priority?: number; delayMs?: number; resetCrashLoop?: boolean } = {},
): Promise<RequestResult> {
  if (incoming.kind !== 'remove') {
    const ask: FreshAsk = { action: incoming, desiredState: desiredStateOf[incoming.kind], resetCrashLoop: opts.resetCrashLoop ?? false };
    const first = await recorderOf(deps)(workspaceId, ask);
    if (!first) return { kind: 'not-found' };
    if (first.row.status === 'removed') return { kind: 'removed', workspace: first.row };
    const fast = await recordWithoutTransaction(deps.pool, first, incoming, ask);
    if (fast?.fresh) {
      const w = fast.workspace;
      await enqueueOrDefer(deps, { workspaceId, host: w.host, generation: w.generation, kind: incoming.kind, priority: opts.priority, delayMs: opts.delayMs });
    }
    if (fast) return { kind: 'accepted', workspace: fast.workspace, jobId: fast.jobId, coalesced: fast.coalesced };
  }
  let pending: PendingEnqueue | undefined;
  const result = await withTransaction(deps.pool, async (client): Promise<RequestResult> => {
    const row = await lockWorkspace(client, workspaceId);
    if (!row) return { kind: 'not-found' };
    if (row.status === 'removed' && incoming.kind !== 'remove') return { kind: 'removed', workspace: row };
    if (opts.resetCrashLoop) await resetCrashLoop(client, workspaceId);
    const queued = await queueAction(client, row, incoming);
    pending = queued.pending && { ...queued.pending, priority: opts.priority, delayMs: opts.delayMs };
    return { kind: 'accepted', workspace: queued.workspace, jobId: queued.jobId, coalesced: queued.coalesced };
  });
  if (pending) await enqueueOrDefer(deps, pending);
  return result;
}

export type CreateResult = { workspace: WorkspaceRow; jobId: string; created: boolean } | { conflict: string };

/** Create a workspace; its env values are sealed before they reach Postgres, and the idempotency hash is keyed. */
export async function createWorkspace(
  deps: ActionDeps & { secrets: SecretBox },
  req: { name: string; runtime: string; env: Record<string, string>; idempotencyKey?: string; placement: PlacementRequest },
): Promise<CreateResult> {
  const id = randomUUID();
  const action: Action = { kind: 'provision', cause: 'api: create' };
  const result = await withTransaction(deps.pool, async (client): Promise<CreateResult> => {
    if (req.idempotencyKey) {
      const request = JSON.stringify([req.name, req.runtime, req.env, req.placement.pinned ?? null]);
      const existing = await claimIdempotencyKey(client, req.idempotencyKey, deps.secrets.requestHash(request), id);
      if (existing) {
        if (!deps.secrets.requestHashMatches(request, existing.requestHash)) return { conflict: 'Idempotency-Key was already used with a different request body' };
        const row = (await getWorkspace(client, existing.workspaceId))!;
        return { workspace: row, jobId: row.queued_job_id ?? row.running_job_id ?? jobIdOf(row.id, 1), created: false };
      }
    }
    const jobId = jobIdOf(id, 1);
    const placed = await placeOn(client, req.placement);
    const host = 'host' in placed ? placed.host : null;
    const row = await insertWorkspace(client, { id, name: req.name, runtime: req.runtime, env: sealEnv(deps.secrets, id, req.env), host, queuedJobId: jobId, queuedAction: action });
    const message = 'waiting' in placed ? placed.waiting : `placed on ${placed.host}`;
    await insertEvent(client, { workspaceId: id, from: null, to: 'provisioning', cause: action.cause, jobId, message });
    return { workspace: row, jobId, created: true };
  });
  if ('workspace' in result && result.created) {
    await enqueueOrDefer(deps, { workspaceId: id, host: result.workspace.host, generation: 1, kind: 'provision' });
  }
  return result;
}

const ENQUEUE_TIMEOUT_MS = 5_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Enqueue after commit. If Redis is unreachable the request is still recorded in
 * Postgres; the reconciler re-derives the job from the queued slot later.
 * True when the job was enqueued, false when that was deferred to the reconciler.
 */
export async function enqueueOrDefer(deps: ActionDeps, job: PendingEnqueue): Promise<boolean> {
  if (job.host === null) return false; // placement enqueues it once a host takes it
  const routed = { ...job, host: job.host };
  try {
    // bounded: an API started while Redis is down must still answer (BullMQ would wait for it)
    await withTimeout(enqueueAction(deps.queues, deps.timing, routed), ENQUEUE_TIMEOUT_MS, 'enqueue');
  } catch (err) {
    deps.log.warn({ err, workspaceId: job.workspaceId }, 'enqueue failed; the reconciler will re-enqueue from Postgres');
    return false;
  }
  if (job.replaced) {
    // The superseded job would be dropped as stale anyway; removing it keeps the queues tidy.
    await deps.queues.of(routed.host)[job.replaced.kind].remove(job.replaced.jobId).catch(() => undefined);
  }
  return true;
}
