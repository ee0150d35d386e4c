import { mergeActions, type Action } from './actions.ts';
import { mergeIntoQueued, type WorkspaceRow } from './db/workspaces.ts';
import type { FreshAsk, FreshOutcome } from './db/fresh-actions.ts';
import type { Queryable } from './db/pool.ts';

/** What a request recorded without a transaction: the result, and whether its job must be enqueued (a new generation). */
export interface FastRecord {
  workspace: WorkspaceRow;
  jobId: string;
  coalesced: boolean;
  /** a new generation was taken: its job must be enqueued */
  fresh: boolean;
}

/**
 * A request's common cases, recorded without holding a row lock across round trips (the
 * transaction path costs five, and under load its lock waits hold pool connections), after its
 * first statement (recordFreshActions) read the row or already took the new generation:
 * - nothing waited → that statement wrote the new generation (its job is then enqueued);
 * - an action of the same kind waits and already says all this request asks → nothing to
 *   write: the intent is committed already, and the waiting job has not started, so it runs
 *   after this request;
 * - it waits but the request changes it (applyTemplate, a reason, a crash-loop reset) → one
 *   UPDATE guarded by the job id and the action read.
 * Every write re-checks its condition under the row lock the UPDATE takes. Undefined: no
 * common case holds (a remove, a replacement of another kind, an unplaced workspace, a row
 * locked or changed meanwhile): the caller takes the transactional path.
 */
export async function recordWithoutTransaction(pool: Queryable, first: FreshOutcome, incoming: Action, ask: FreshAsk): Promise<FastRecord | undefined> {
  const row = first.row;
  if (first.fresh) return { workspace: row, jobId: row.queued_job_id!, coalesced: false, fresh: true };
  const queued = row.queued_job_id ? row.queued_action : null;
  if (incoming.kind === 'remove' || row.host === null || row.status === 'removed' || !queued) return undefined;
  const merged = mergeActions(queued, incoming);
  if (merged.kind !== queued.kind || (ask.desiredState !== null && ask.desiredState !== row.desired_state)) return undefined;
  const reset = ask.resetCrashLoop && (row.restart_count !== 0 || row.crash_times.length > 0 || row.next_restart_at !== null);
  if (!reset && sameAction(merged, queued)) return { workspace: row, jobId: row.queued_job_id!, coalesced: true, fresh: false };
  const written = await mergeIntoQueued(pool, row.id, { jobId: row.queued_job_id!, was: queued, action: merged, resetCrashLoop: reset });
  return written && { workspace: written, jobId: written.queued_job_id!, coalesced: true, fresh: false };
}

/** Two actions ask the same (flat objects; a missing key equals undefined). */
function sameAction(a: Action, b: Action): boolean {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  return [...new Set([...Object.keys(x), ...Object.keys(y)])].every((k) => x[k] === y[k]);
}
