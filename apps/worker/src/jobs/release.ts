import { expireLease, releaseRunSlot, requestAutoRestart, type Released } from '@dockyard/shared';
import type { WorkerDeps } from './context.ts';
import type { JobRun } from './claim.ts';
import type { AttemptOutcome } from './outcome.ts';
import { countAutoRestart } from '../metrics.ts';

/**
 * The one place a claimed job lets go of its workspace, whatever the outcome: its volume
 * helper goes (a completed job removed it before its final write), and its run slot is
 * freed (a completed job's final write freed it), waking the job waiting behind it; a job
 * that will retry keeps the slot but expires its lease, so a newer request may take the
 * workspace over meanwhile.
 */
export async function releaseWorkspace(deps: WorkerDeps, run: JobRun, outcome: AttemptOutcome): Promise<void> {
  if (outcome.kind !== 'completed') {
    await deps.docker.releaseVolumeHelper(run.workspaceId).catch((err) => run.log.warn({ err }, 'could not remove the volume helper'));
  }
  try {
    if (outcome.kind === 'completed') await wakeNext(deps, outcome.next);
    else if (outcome.kind === 'retry') await expireLease(deps.pool, run.fence);
    else await wakeNext(deps, await releaseRunSlot(deps.pool, run.fence));
  } catch (err) {
    run.log.warn({ err }, 'release failed; the lease will expire');
  }
}

/** Promote the job waiting behind a freed run slot, so it need not wait out its delay. */
async function wakeNext(deps: WorkerDeps, next: Released): Promise<void> {
  if (!next.queuedJobId || !next.queuedKind) return;
  const waiting = await deps.queues.of(deps.config.host.name)[next.queuedKind].getJob(next.queuedJobId);
  if (waiting && (await waiting.isDelayed())) await waiting.promote().catch(() => undefined);
}

/**
 * Deaths reported while this job held the workspace were left to it (see requestAutoRestart):
 * a container that exited at start goes to the crash-loop backoff, and one that died between
 * wait-running and the release would otherwise go unseen.
 */
export async function checkAfterRelease(deps: WorkerDeps, run: JobRun, outcome: AttemptOutcome): Promise<void> {
  if (outcome.kind !== 'completed') return;
  if (outcome.status === 'offline') await requestCrashRestart(deps, run, 'auto-restart: container exited at start');
  else if (outcome.status === 'online' && !(await stillRunning(deps, run.workspaceId))) {
    await requestCrashRestart(deps, run, 'auto-restart: container died');
  }
}

/** Is the workspace's container still running? (A Docker error says yes: the watcher and reconciler cover it.) */
async function stillRunning(deps: WorkerDeps, workspaceId: string): Promise<boolean> {
  try {
    return (await deps.docker.inspectContainer(workspaceId))?.running ?? false;
  } catch {
    return true;
  }
}

async function requestCrashRestart(deps: WorkerDeps, run: JobRun, cause: string): Promise<void> {
  const actions = { pool: deps.pool, queues: deps.queues, timing: deps.config.timing, log: run.log };
  const result = await requestAutoRestart(actions, run.workspaceId, { cause }).catch((err) => {
    run.log.warn({ err }, 'could not request the crash restart; the reconciler will');
    return undefined;
  });
  if (result) countAutoRestart(deps.metrics, result, 'job');
}
