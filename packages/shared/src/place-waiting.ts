import { withTransaction } from './db/pool.ts';
import { lockWorkspace, setQueuedStep } from './db/workspaces.ts';
import { listUnplaced, setWorkspaceHost } from './db/hosts.ts';
import { insertEvent } from './db/events.ts';
import { placeOn, type PlacementStrategy } from './placement.ts';
import { enqueueOrDefer, type ActionDeps, type PendingEnqueue } from './request-action.ts';
import { generationOf } from './names.ts';

export interface PlaceWaitingDeps extends ActionDeps {
  strategy: PlacementStrategy;
  /** the runtime's hostLabels (from RUNTIMES_FILE) */
  hostLabelsOf(runtime: string): Record<string, string> | undefined;
}

/**
 * Place the workspaces waiting for a host, now that one may have room (a host registered,
 * or capacity freed): each in its own transaction, then its waiting job is enqueued on its
 * host's queue. Returns how many were placed. Safe to run from several processes at once.
 */
export async function placeWaiting(deps: PlaceWaitingDeps): Promise<number> {
  let placed = 0;
  for (const { id } of await listUnplaced(deps.pool)) {
    let pending: PendingEnqueue | undefined;
    const host = await withTransaction(deps.pool, async (client) => {
      const row = await lockWorkspace(client, id);
      if (!row || row.host !== null || row.status === 'removed') return undefined;
      const where = await placeOn(client, { strategy: deps.strategy, hostLabels: deps.hostLabelsOf(row.runtime) });
      if (!('host' in where)) return undefined;
      await setWorkspaceHost(client, id, where.host);
      await insertEvent(client, { workspaceId: id, from: row.status, to: row.status, cause: 'placement', jobId: row.queued_job_id, message: `placed on ${where.host}` });
      if (row.queued_job_id && row.queued_action) {
        await setQueuedStep(client, id, 'queued');
        pending = { workspaceId: id, host: where.host, generation: generationOf(row.queued_job_id), kind: row.queued_action.kind };
      }
      return where.host;
    });
    if (!host) continue;
    placed++;
    if (pending) await enqueueOrDefer(deps, pending);
  }
  return placed;
}
