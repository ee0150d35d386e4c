import { withTransaction } from './db/pool.ts';
import { lockWorkspace } from './db/workspaces.ts';
import { workspaceIdsOnHost } from './db/hosts.ts';
import { releaseFromLostHost } from './db/workspace-status.ts';
import { insertEvent } from './db/events.ts';
import { queueAction, type ActionDeps } from './request-action.ts';

export interface EvacuationReport {
  host: string;
  /** workspaces that will run again elsewhere (restart queued, waiting for placement) */
  rescheduled: number;
  /** workspaces left on the lost host (paused, failed, or RESCHEDULE_ON_HOST_LOSS=false) */
  stranded: number;
}

/**
 * A host was lost: every workspace on it goes `offline` (cause `host lost: <name>`) with its run
 * slot emptied; with `reschedule`, it is placed on no host and a restart waits for placement
 * (the caller runs placeWaiting), whose job seeds a fresh config volume from the template,
 * since the old volume cannot be read any more. The lost host's queued jobs are removed.
 */
export async function evacuateHost(deps: ActionDeps, host: string, reschedule: boolean): Promise<EvacuationReport> {
  const cause = `host lost: ${host}`;
  const report: EvacuationReport = { host, rescheduled: 0, stranded: 0 };
  for (const id of await workspaceIdsOnHost(deps.pool, host)) {
    const dropped = await withTransaction(deps.pool, async (client) => {
      const row = await lockWorkspace(client, id);
      if (!row || row.host !== host || row.status === 'removed') return undefined;
      const queued = row.queued_job_id && row.queued_action ? { jobId: row.queued_job_id, kind: row.queued_action.kind } : undefined;
      const wantsRunning = row.desired_state === 'running' && row.status !== 'failed';
      const released = await releaseFromLostHost(client, id, { reschedule: reschedule && row.desired_state !== 'removed' });
      const message = wantsRunning && reschedule ? 'its host stopped reporting; re-placing it on another host' : 'its host stopped reporting';
      await insertEvent(client, { workspaceId: id, from: row.status, to: released.status, cause, message });
      if (wantsRunning && reschedule) {
        await queueAction(client, released, { kind: 'restart', cause, applyTemplate: false, auto: true, movedFrom: host });
        report.rescheduled++;
      } else {
        report.stranded++;
      }
      return queued;
    });
    if (dropped) await deps.queues.of(host)[dropped.kind].remove(dropped.jobId).catch(() => undefined);
  }
  return report;
}
