import { FencedError } from './errors.ts';
import { withTransaction } from './db/pool.ts';
import { lockWorkspace } from './db/workspaces.ts';
import { setWorkspaceHostAnyway } from './db/hosts.ts';
import { insertEvent } from './db/events.ts';
import type { Fence } from './db/run-slot.ts';
import { placeOn, type PlacementStrategy } from './placement.ts';
import { enqueueOrDefer, queueAction, type ActionDeps, type PendingEnqueue } from './request-action.ts';
import { generationOf } from './names.ts';

/**
 * The end of a move, by the job that holds the workspace (fenced on its token): the workspace
 * is placed on another host (or on none, waiting), and what comes next runs there: an action
 * that arrived meanwhile, else a restart if it should run (its job writes the copied config).
 */
export async function rePlaceMoved(
  deps: ActionDeps,
  fence: Fence,
  p: { from: string; cause: string; strategy: PlacementStrategy; hostLabels?: Record<string, string> },
): Promise<{ movedTo: string | null; wantsRunning: boolean }> {
  let pending: PendingEnqueue | undefined;
  let stale: { jobId: string; kind: PendingEnqueue['kind'] } | undefined;
  const result = await withTransaction(deps.pool, async (client) => {
    const row = await lockWorkspace(client, fence.workspaceId);
    if (!row || row.running_token !== fence.token) throw new FencedError(`job ${fence.jobId} no longer holds workspace ${fence.workspaceId}`);
    const where = await placeOn(client, { strategy: p.strategy, hostLabels: p.hostLabels });
    const host = 'host' in where ? where.host : null;
    const moved = await setWorkspaceHostAnyway(client, row.id, host);
    const message = 'waiting' in where ? `moved off ${p.from}: ${where.waiting}` : `moved off ${p.from}: placed on ${where.host}`;
    await insertEvent(client, { workspaceId: row.id, from: row.status, to: row.status, cause: p.cause, jobId: fence.jobId, message });
    const wantsRunning = row.desired_state === 'running';
    if (row.queued_job_id && row.queued_action) {
      // a request that came during the move was enqueued on the old host: it runs on the new one
      stale = { jobId: row.queued_job_id, kind: row.queued_action.kind };
      pending = { workspaceId: row.id, host, generation: generationOf(row.queued_job_id), kind: row.queued_action.kind };
    } else if (wantsRunning) {
      const queued = await queueAction(client, moved, { kind: 'restart', cause: p.cause, applyTemplate: false, auto: true, movedFrom: p.from });
      pending = queued.pending;
    }
    return { movedTo: host, wantsRunning };
  });
  if (stale) await deps.queues.of(p.from)[stale.kind].remove(stale.jobId).catch(() => undefined);
  if (pending) await enqueueOrDefer(deps, pending);
  return result;
}
