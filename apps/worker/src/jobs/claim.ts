import { randomUUID } from 'node:crypto';
import { DelayedError, UnrecoverableError } from 'bullmq';
import { LifecycleJob, claimFreeRunSlot, claimRunSlot, lockWorkspace, withTransaction, writeTransition, type ClaimResult, type Fence, type Logger } from '@dockyard/shared';
import type { LifecycleJobRun, WorkerDeps } from './context.ts';
import { enteringTransition, jobDefinitions } from './definitions.ts';

/** How long a job waits before asking again while another job holds its workspace. */
const BUSY_RETRY_MS = 500;

/** One execution of a job: who it is, which attempt, and the fence its writes carry. */
export interface JobRun {
  job: LifecycleJobRun;
  workspaceId: string;
  attempt: number;
  fence: Fence;
  log: Logger;
  startedAt: number;
}

/** Parse the payload (a bad one can never succeed: UnrecoverableError) and name this execution. */
export function beginRun(deps: WorkerDeps, job: LifecycleJobRun): JobRun {
  const parsed = LifecycleJob.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`bad job payload: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const { workspaceId } = parsed.data;
  const attempt = job.attemptsMade + 1;
  return {
    job,
    workspaceId,
    attempt,
    fence: { workspaceId, jobId: job.id!, token: randomUUID() },
    log: deps.log.child({ jobId: job.id, workspaceId, job: job.name, attempt }),
    startedAt: Date.now(),
  };
}

/**
 * A claim, whether it also wrote the job's entering transition, the step it wrote (`stepWritten`:
 * the job's first), and whether it was the job's first from a free slot (`fresh`: no earlier
 * execution of any job can have left a volume helper behind, so the job removes one only if it
 * used one).
 */
export type Claim = ClaimResult & { entered?: boolean; fresh?: boolean; stepWritten?: string };

/**
 * Take the workspace's run slot. The common case (this job waits in the queued slot and
 * nothing runs) is one statement, which also writes the job's entering transition and its first
 * step. Every other case takes the row lock: a retry re-claiming its slot, a takeover of an
 * expired lease, a busy or superseded job; there, the same transaction writes the entering
 * transition too. A refused entering write (a removed workspace) leaves it to the job, which
 * then stops as before.
 */
export async function claimWorkspace(deps: WorkerDeps, run: JobRun): Promise<Claim> {
  const lease = { jobId: run.fence.jobId, token: run.fence.token, leaseMs: deps.config.timing.LEASE_MS };
  const definition = jobDefinitions[run.job.name];
  const firstStep = definition.steps[0]?.name ?? null;
  const entry = { kind: run.job.name, enters: definition.enters, firstStep, attempt: run.attempt };
  const free = await claimFreeRunSlot(deps.pool, { workspaceId: run.workspaceId, ...lease, ...entry });
  if (free) return { ...free, fresh: true, stepWritten: firstStep ?? undefined };
  return withTransaction(deps.pool, async (client): Promise<Claim> => {
    const row = await lockWorkspace(client, run.workspaceId);
    if (!row) return { kind: 'superseded', reason: 'workspace does not exist' };
    const claim = await claimRunSlot(client, row, lease);
    if (claim.kind !== 'claimed') return claim;
    const t = enteringTransition(claim.row, claim.action);
    return { ...claim, entered: t !== undefined && (await writeTransition(client, run.fence, { attempt: run.attempt, ...t })) };
  });
}

/** Another job holds the workspace: ask again shortly, without using an attempt. */
export async function waitWhileBusy(run: JobRun, runningJobId: string, token: string | undefined): Promise<never> {
  run.log.debug({ runningJobId }, 'workspace busy: waiting');
  await run.job.moveToDelayed(Date.now() + BUSY_RETRY_MS, token);
  throw new DelayedError();
}

/** Renew the lease while `fn` runs (a third of its length apart). */
export async function holdingLease<T>(deps: WorkerDeps, run: JobRun, renew: () => Promise<boolean>, fn: () => Promise<T>): Promise<T> {
  const heartbeat = setInterval(() => {
    renew()
      .then((held) => held || run.log.warn('lease lost: another job took over this workspace'))
      .catch((err) => run.log.warn({ err }, 'lease renewal failed'));
  }, Math.max(100, Math.floor(deps.config.timing.LEASE_MS / 3)));
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
  }
}
