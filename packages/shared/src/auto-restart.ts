import type { TimingEnv } from './config.ts';
import { withTransaction } from './db/pool.ts';
import { lockWorkspace, type WorkspaceRow } from './db/workspaces.ts';
import { readerOf } from './db/workspace-reads.ts';
import { markCrashLoopFailed, markOffline } from './db/workspace-status.ts';
import { insertEvent } from './db/events.ts';
import { AUTO_PRIORITY, enqueueOrDefer, queueAction, type ActionDeps, type PendingEnqueue } from './request-action.ts';

export type AutoRestartResult =
  | { kind: 'not-found' }
  | { kind: 'ignored'; reason: string }
  | { kind: 'crash-loop'; reason: string }
  | { kind: 'accepted'; jobId: string; coalesced: boolean; delayMs: number };

/**
 * Crash-loop backoff per workspace: the first restart at once, then base, 2×base, 4×base …
 * capped; the count starts again after the workspace ran for CRASH_RESET_AFTER_MS.
 */
export function crashBackoffMs(restartCount: number, t: TimingEnv): number {
  if (restartCount <= 0) return 0;
  return Math.min(t.CRASH_BACKOFF_BASE_MS * 2 ** Math.min(restartCount - 1, 30), t.CRASH_BACKOFF_MAX_MS);
}

/** Why a death report must not restart this workspace, if it must not. */
function ignoreReason(row: WorkspaceRow): string | undefined {
  if (row.status === 'removed' || row.desired_state === 'removed') return 'workspace is removed';
  if (row.status === 'paused' || row.desired_state === 'stopped') return 'workspace is paused (desired state stopped)';
  if (row.status === 'failed') return `workspace is failed and waits for an operator restart (${row.last_error ?? 'no error recorded'})`;
  // A job holding the workspace handles it: its own stop may be what died, and a job whose
  // worker died is re-run (stalled-job recovery, or the reconciler) and always re-checks
  // start and wait-running, so no death it overlapped goes unnoticed.
  if (row.running_job_id) return `job ${row.running_job_id} is already working on this workspace`;
  return undefined;
}

/** The answer to a death report that writes nothing, if it is one. */
function answerWithoutWrite(row: WorkspaceRow, report: { at?: Date; host?: string }): AutoRestartResult | undefined {
  if (report.host && row.host !== report.host) return { kind: 'ignored', reason: `the workspace is placed on ${row.host ?? 'no host'}, not ${report.host}` };
  const reason = ignoreReason(row);
  if (reason) return { kind: 'ignored', reason };
  if (report.at && row.running_since && report.at.getTime() < row.running_since.getTime()) {
    return { kind: 'ignored', reason: 'the event predates the current run of the workspace' };
  }
  if (row.queued_job_id) return { kind: 'accepted', jobId: row.queued_job_id, coalesced: true, delayMs: 0 };
  return undefined;
}

/**
 * A workspace's container died (or lost liveness): mark it offline and queue a
 * restart after its crash-loop backoff, coalesced with anything already waiting.
 * Used by the Docker events watcher, POST /v1/events and the reconciler alike.
 */
export async function requestAutoRestart(
  deps: ActionDeps,
  workspaceId: string,
  /** `host`: the host whose engine saw the death; a workspace placed elsewhere now is none of its business */
  report: { cause: string; detail?: string; at?: Date; host?: string },
  /**
   * `stillDead`: asked only when the report would write (so not for the stops of a job that holds
   * the workspace): false when the death is history already (the events watcher asks the engine
   * whether the container started again since)
   */
  opts: { stillDead?: () => Promise<boolean> } = {},
): Promise<AutoRestartResult> {
  const t = deps.timing;
  // Most reports need no write (a job holds the workspace, one waits, it is paused…): a plain read
  // answers them as the locked one would, since either read sees the row before or after any
  // concurrent change, and each outcome is covered (a releasing job re-checks its container).
  const seen = await readerOf(deps)(workspaceId);
  const answered = seen ? answerWithoutWrite(seen, report) : { kind: 'not-found' as const };
  if (answered) return answered;
  if (opts.stillDead && !(await opts.stillDead())) return { kind: 'ignored', reason: 'the container started again since this report' };
  let pending: PendingEnqueue | undefined;
  const result = await withTransaction(deps.pool, async (client): Promise<AutoRestartResult> => {
    const row = await lockWorkspace(client, workspaceId);
    if (!row) return { kind: 'not-found' };
    const noWrite = answerWithoutWrite(row, report);
    if (noWrite) return noWrite;

    const now = Date.now();
    const ranLongEnough = row.running_since !== null && now - row.running_since.getTime() >= t.CRASH_RESET_AFTER_MS;
    const count = ranLongEnough ? 0 : row.restart_count;
    const priorCrashes = ranLongEnough ? [] : row.crash_times.filter((d) => now - d.getTime() < t.CRASH_LOOP_WINDOW_MS);
    const crashes = [...priorCrashes, new Date(now)];
    const message = report.detail ? `${report.cause}: ${report.detail}` : report.cause;

    if (crashes.length > t.CRASH_LOOP_LIMIT) {
      const lastError = `crash loop: ${crashes.length} crashes within ${Math.round(t.CRASH_LOOP_WINDOW_MS / 1000)} s; auto-restart stopped until an operator restarts it`;
      await markCrashLoopFailed(client, workspaceId, { lastError, crashes });
      await insertEvent(client, { workspaceId, from: row.status, to: 'failed', cause: report.cause, message: lastError });
      return { kind: 'crash-loop', reason: lastError };
    }

    const delayMs = crashBackoffMs(count, t);
    const offline = await markOffline(client, workspaceId, { restartCount: count + 1, crashes, delayMs });
    if (row.status !== 'offline') await insertEvent(client, { workspaceId, from: row.status, to: 'offline', cause: report.cause, message });
    const queued = await queueAction(client, offline, { kind: 'restart', cause: report.cause, applyTemplate: false, auto: true });
    pending = queued.pending && { ...queued.pending, priority: AUTO_PRIORITY, delayMs };
    return { kind: 'accepted', jobId: queued.jobId, coalesced: queued.coalesced, delayMs };
  });
  if (pending) await enqueueOrDefer(deps, pending);
  return result;
}
