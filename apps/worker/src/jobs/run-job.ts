import { randomUUID } from 'node:crypto';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import {
  FencedError,
  LifecycleJob,
  PermanentError,
  claimRunSlot,
  expireLease,
  insertNote,
  lockWorkspace,
  messageOf,
  releaseRunSlot,
  recordRetryError,
  renewLease,
  requestAutoRestart,
  setStep,
  withTransaction,
  writeTransition,
  type AttemptRecord,
  type ClaimResult,
  type Fence,
  type WorkspaceStatus,
} from '@dockyard/shared';
import type { JobContext, StepState, WorkerDeps } from './context.ts';
import { jobDefinitions } from './definitions.ts';
import { deadLetter } from './dead-letter.ts';
import { countAutoRestart } from '../metrics.ts';

/** How long a job waits before asking again while another job holds its workspace. */
const BUSY_RETRY_MS = 500;

interface Checkpoint {
  done: string[];
  state: StepState;
}

/**
 * The BullMQ processor for every lifecycle queue: claim the workspace's run slot,
 * run the job's steps (skipping those a previous attempt finished), write the
 * final transition, and dead-letter on a permanent error or the last attempt.
 */
export function makeProcessor(deps: WorkerDeps) {
  return async (job: Job, token?: string): Promise<{ outcome: string }> => {
    const parsed = LifecycleJob.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`bad job payload: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    const { workspaceId } = parsed.data;
    const attempt = job.attemptsMade + 1;
    const log = deps.log.child({ jobId: job.id, workspaceId, job: job.name, attempt });
    const fence: Fence = { workspaceId, jobId: job.id!, token: randomUUID() };

    const claim = await withTransaction(deps.pool, async (client): Promise<ClaimResult> => {
      const row = await lockWorkspace(client, workspaceId);
      if (!row) return { kind: 'stale', reason: 'workspace does not exist' };
      return claimRunSlot(client, row, { jobId: fence.jobId, token: fence.token, leaseMs: deps.config.timing.LEASE_MS, ownRetry: false });
    });
    if (claim.kind === 'busy') {
      log.debug({ runningJobId: claim.runningJobId }, 'workspace busy: waiting');
      await job.moveToDelayed(Date.now() + BUSY_RETRY_MS, token);
      throw new DelayedError();
    }
    if (claim.kind === 'stale') {
      log.info({ reason: claim.reason }, 'stale job dropped');
      deps.metrics.fencedWrites.inc();
      deps.metrics.outcomes.inc({ job: job.name, outcome: 'superseded' });
      return { outcome: 'stale' };
    }
    if (claim.tookOverFrom) log.warn({ from: claim.tookOverFrom }, 'took over a workspace whose job lease expired');

    const definition = jobDefinitions[claim.action.kind];
    const checkpoint: Checkpoint = (job.data.checkpoint as Checkpoint | undefined) ?? { done: [], state: {} };
    let currentStep: string | null = null;
    const ctx: JobContext = {
      ...deps,
      log,
      job,
      attempt,
      fence,
      workspace: claim.row,
      action: claim.action,
      async transition(t) {
        const ok = await withTransaction(deps.pool, (c) => writeTransition(c, fence, { attempt, ...t }));
        if (!ok) throw new FencedError(`write of status ${t.to} refused: job ${fence.jobId} no longer holds the workspace`);
      },
      async setStep(step) {
        if (!(await setStep(deps.pool, fence, step))) throw new FencedError(`job ${fence.jobId} no longer holds the workspace`);
      },
      async note(message, cause) {
        await insertNote(deps.pool, { workspaceId, cause, jobId: fence.jobId, attempt, message });
      },
    };

    const heartbeat = setInterval(() => {
      renewLease(deps.pool, fence, deps.config.timing.LEASE_MS)
        .then((held) => held || log.warn('lease lost: another job took over this workspace'))
        .catch((err) => log.warn({ err }, 'lease renewal failed'));
    }, Math.max(100, Math.floor(deps.config.timing.LEASE_MS / 3)));
    heartbeat.unref();

    const started = Date.now();
    let keepSlot = false;
    let ended: WorkspaceStatus | undefined; // the status the job finished with
    let helperReleased = false;
    try {
      if (definition.enters && ctx.workspace.status !== definition.enters) {
        await ctx.transition({ to: definition.enters, cause: claim.action.cause, step: 'starting', extra: { provisionStarted: true } });
      }
      for (const step of definition.steps) {
        if (checkpoint.done.includes(step.name) && !step.rerun) continue;
        currentStep = step.name;
        ctx.log = log.child({ step: step.name });
        await ctx.setStep(step.name);
        const stepStart = Date.now();
        const out = await step.run(ctx, checkpoint.state);
        deps.metrics.stepDuration.observe({ job: job.name, step: step.name }, (Date.now() - stepStart) / 1000);
        ctx.log.debug({ ms: Date.now() - stepStart }, 'step done');
        checkpoint.state = { ...checkpoint.state, ...(out ?? {}) };
        if (!checkpoint.done.includes(step.name)) checkpoint.done.push(step.name);
        await job.updateData({ ...job.data, checkpoint });
      }
      currentStep = 'finish';
      // the job's Docker work is over before it reports its outcome
      await deps.docker.releaseVolumeHelper(workspaceId);
      helperReleased = true;
      const final = definition.finish(checkpoint.state);
      await ctx.transition({ ...final, cause: claim.action.cause, step: null });
      log.info({ to: final.to, ms: Date.now() - started }, 'job completed');
      ended = final.to;
      deps.metrics.outcomes.inc({ job: job.name, outcome: 'completed' });
      deps.metrics.jobDuration.observe({ job: job.name, outcome: 'completed' }, (Date.now() - started) / 1000);
      return { outcome: final.to };
    } catch (err) {
      if (err instanceof FencedError) {
        log.warn({ err: messageOf(err) }, 'job superseded: write refused');
        deps.metrics.fencedWrites.inc();
        deps.metrics.outcomes.inc({ job: job.name, outcome: 'superseded' });
        return { outcome: 'superseded' };
      }
      const record: AttemptRecord = { attempt, step: currentStep, error: messageOf(err), at: new Date().toISOString() };
      const attempts = [...((job.data.attempts as AttemptRecord[] | undefined) ?? []), record];
      await job.updateData({ ...job.data, checkpoint, attempts }).catch(() => undefined);
      const permanent = err instanceof PermanentError;
      if (permanent || attempt >= (job.opts.attempts ?? 1)) {
        log.error({ err: record.error, step: currentStep, permanent }, 'job failed for good: dead-lettered');
        await deadLetter(ctx, { error: record.error, step: currentStep, attempts, permanent });
        deps.metrics.outcomes.inc({ job: job.name, outcome: 'dead_lettered' });
        deps.metrics.jobDuration.observe({ job: job.name, outcome: 'dead_lettered' }, (Date.now() - started) / 1000);
        throw new UnrecoverableError(record.error);
      }
      log.warn({ err: record.error, step: currentStep }, 'attempt failed: will retry');
      deps.metrics.outcomes.inc({ job: job.name, outcome: 'retried' });
      keepSlot = true;
      await recordRetryError(deps.pool, fence, `attempt ${attempt} failed at ${currentStep}: ${record.error} (retrying)`).catch(() => undefined);
      await expireLease(deps.pool, fence).catch(() => undefined);
      throw err;
    } finally {
      clearInterval(heartbeat);
      if (!helperReleased) {
        await deps.docker.releaseVolumeHelper(workspaceId).catch((err) => log.warn({ err }, 'could not remove the volume helper'));
      }
      if (!keepSlot) await releaseAndWakeNext(deps, fence).catch((err) => log.warn({ err }, 'release failed; the lease will expire'));
      if (ended === 'offline') await requestCrashRestart(deps, workspaceId, log, 'auto-restart: container exited at start');
      // A death while this job held the workspace was left to it (see requestAutoRestart);
      // one that came after wait-running but before the release would otherwise go unseen.
      else if (ended === 'online' && !(await stillRunning(deps, workspaceId))) {
        await requestCrashRestart(deps, workspaceId, log, 'auto-restart: container died');
      }
    }
  };
}

/** Free the run slot and promote the job waiting behind it, so it need not wait out its delay. */
async function releaseAndWakeNext(deps: WorkerDeps, fence: Fence): Promise<void> {
  const next = await releaseRunSlot(deps.pool, fence);
  if (!next.queuedJobId || !next.queuedKind) return;
  const waiting = await deps.queues[next.queuedKind].getJob(next.queuedJobId);
  if (waiting && (await waiting.isDelayed())) await waiting.promote().catch(() => undefined);
}

/** Is the workspace's container still running? (A Docker error says yes: the watcher and reconciler cover it.) */
async function stillRunning(deps: WorkerDeps, workspaceId: string): Promise<boolean> {
  try {
    return (await deps.docker.inspectContainer(workspaceId))?.running ?? false;
  } catch {
    return true;
  }
}

/** After a job saw its container die at start: the crash-loop backoff decides when to try again. */
async function requestCrashRestart(deps: WorkerDeps, workspaceId: string, log: WorkerDeps['log'], cause: string): Promise<void> {
  const intent = { pool: deps.pool, queues: deps.queues, timing: deps.config.timing, log };
  const result = await requestAutoRestart(intent, workspaceId, { cause }).catch((err) => {
    log.warn({ err }, 'could not request the crash restart; the reconciler will');
    return undefined;
  });
  if (result) countAutoRestart(deps.metrics, result, 'job');
}
