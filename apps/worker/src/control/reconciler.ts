import {
  enqueueOrDefer,
  generationOf,
  queueNameOf,
  freeAbandonedSlot,
  listReconcilable,
  messageOf,
  requestAction,
  requestAutoRestart,
  type Action,
  readWorkers,
  type AnyRedis,
  type PlaceWaitingDeps,
  type WorkspaceRow,
} from '@dockyard/shared';
import type { WorkspaceDocker } from '../docker/workspace-docker.ts';
import { countAutoRestart, type WorkerMetrics } from '../metrics.ts';
import { sleep } from './leader.ts';
import { sortByOwner, type OwnershipDeps } from './ownership.ts';
import { placeWaitingNow } from './host-presence.ts';

/** The reconciler of one host: its workspaces in Postgres against its engine's containers. */
export interface ReconcilerDeps extends OwnershipDeps, PlaceWaitingDeps {
  host: string;
  /** for the worker health reports */
  redis: AnyRedis;
  queuePrefix: string;
  docker: WorkspaceDocker;
  metrics: WorkerMetrics;
  removeOrphans: boolean;
}

/** The leader's periodic repair loop; Postgres is the source of truth. */
export async function runReconciler(deps: ReconcilerDeps, signal: AbortSignal): Promise<void> {
  deps.log.info({ intervalMs: deps.timing.RECONCILE_INTERVAL_MS }, 'reconciler started');
  while (!signal.aborted) {
    try {
      await placeWaitingNow(deps);
      await warnOfStuckWorkers(deps);
      const report = await reconcileOnce(deps);
      if (Object.values(report).some((n) => n > 0)) deps.log.info(report, 'reconciler repaired drift');
      deps.log.debug(report, 'reconcile pass done');
    } catch (err) {
      deps.log.warn({ err: messageOf(err) }, 'reconcile pass failed');
    }
    await sleep(deps.timing.RECONCILE_INTERVAL_MS, signal);
  }
  deps.log.info('reconciler stopped');
}

/** A worker process of this host whose job workers stopped taking jobs is logged each pass (and counted in dockyard_workers). */
async function warnOfStuckWorkers(deps: ReconcilerDeps): Promise<void> {
  const workers = await readWorkers(deps.redis, deps.queuePrefix, 3 * deps.timing.HOST_HEARTBEAT_MS).catch(() => []);
  for (const w of workers.filter((w) => w.host === deps.host && w.state === 'stuck')) {
    deps.log.error({ pid: w.pid, workerId: w.id, roles: w.roles }, 'a worker process of this host reports that its job workers do not run: restart it');
  }
}

export interface ReconcileReport {
  requeued: number;
  restarted: number;
  stuck: number;
  orphans: number;
  orphansRemoved: number;
  /** unlabelled managed containers reported for the first time */
  unlabelled: number;
  adopted: number;
}

export async function reconcileOnce(deps: ReconcilerDeps): Promise<ReconcileReport> {
  const rows = await listReconcilable(deps.pool, deps.host);
  const { own: containers, reported, adopted } = await sortByOwner(deps, await deps.docker.listManagedContainers());
  const report: ReconcileReport = { requeued: 0, restarted: 0, stuck: 0, orphans: 0, orphansRemoved: 0, unlabelled: reported, adopted };
  const byWorkspace = new Map(containers.filter((c) => !c.role).map((c) => [c.workspaceId, c]));

  for (const row of rows) {
    if (await requeueLostJob(deps, row)) {
      report.requeued++;
      continue;
    }
    if (row.queued_job_id || row.running_job_id) continue; // work is under way
    if (row.desired_state !== 'running' || row.status === 'failed' || row.status === 'paused' || row.status === 'removed') continue;
    if (row.status === 'provisioning') {
      const provisionAge = Date.now() - (row.provision_started_at?.getTime() ?? 0);
      if (provisionAge < deps.timing.PROVISION_TIMEOUT_MS) continue;
      await requestAction(deps, row.id, { kind: 'restart', cause: 'reconciler: stuck in provisioning', applyTemplate: false, auto: true });
      report.stuck++;
      continue;
    }
    const container = byWorkspace.get(row.id);
    if (container?.running) continue;
    const result = await requestAutoRestart(deps, row.id, { cause: `reconciler: container ${container ? 'not running' : 'missing'}` });
    if (countAutoRestart(deps.metrics, result, 'reconciler')) report.restarted++;
  }

  const known = new Map(rows.map((r) => [r.id, r]));
  for (const c of containers) {
    const row = known.get(c.workspaceId);
    if (row && row.status !== 'removed') continue;
    if (row?.running_job_id || row?.queued_job_id) continue; // its remove job is on the way
    report.orphans++;
    deps.log.warn({ container: c.name, workspaceId: c.workspaceId, removed: deps.removeOrphans }, 'orphan managed container');
    if (deps.removeOrphans) {
      await deps.docker.removeContainerById(c.id);
      report.orphansRemoved++;
    }
  }
  return report;
}

/** A queued (or abandoned running) job that Redis no longer has: add it again, same id. */
async function requeueLostJob(deps: ReconcilerDeps, row: WorkspaceRow): Promise<boolean> {
  const slot: { jobId: string; action: Action } | undefined = row.queued_job_id
    ? { jobId: row.queued_job_id, action: row.queued_action! }
    : row.running_job_id && row.lease_until && row.lease_until.getTime() < Date.now()
      ? { jobId: row.running_job_id, action: row.running_action! }
      : undefined;
  if (!slot) return false;
  const existing = await deps.queues.of(deps.host)[slot.action.kind].getJob(slot.jobId);
  if (existing) {
    const state = await existing.getState();
    if (state !== 'failed' && state !== 'completed') return false;
    if (slot.jobId === row.running_job_id) {
      // the job ended without releasing its slot (its last writes failed): free it
      await freeAbandonedSlot(deps.pool, row.id, slot.jobId);
      return true;
    }
    try {
      await existing.remove();
    } catch (err) {
      // a job BullMQ still holds (e.g. locked) cannot be replaced now; the next pass tries again
      deps.log.warn({ workspaceId: row.id, jobId: slot.jobId, err: messageOf(err) }, 'could not remove an ended job to re-enqueue it; next pass retries');
      return false;
    }
  }
  const delayMs = row.next_restart_at ? Math.max(0, row.next_restart_at.getTime() - Date.now()) : 0;
  const pending = { workspaceId: row.id, host: deps.host, generation: generationOf(slot.jobId), kind: slot.action.kind, delayMs };
  if (!(await enqueueOrDefer(deps, pending))) return false;
  deps.log.info({ workspaceId: row.id, jobId: slot.jobId, queue: queueNameOf(slot.action.kind, deps.host) }, 're-enqueued a job Redis had lost');
  return true;
}
