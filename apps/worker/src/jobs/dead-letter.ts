import { randomUUID } from 'node:crypto';
import { insertDeadLetter, withTransaction, writeTransition, type AttemptRecord } from '@dockyard/shared';
import type { JobContext, StepName } from './context.ts';

/**
 * A job that failed for good: the workspace becomes `failed` with last_error, a
 * dead letter is recorded in Postgres (the source of truth) and mirrored onto the
 * dead-letter queue so operators see it in the queue UI. False when a newer job
 * took the workspace over meanwhile (it owns the outcome; nothing is written).
 */
export async function deadLetter(
  ctx: JobContext,
  f: { error: string; where: string; step: StepName | null; attempts: AttemptRecord[]; permanent: boolean },
): Promise<boolean> {
  const id = randomUUID();
  const lastError = f.permanent ? f.error : `${f.error} (after ${f.attempts.length} attempts)`;
  const letter = await withTransaction(ctx.pool, async (client) => {
    const ok = await writeTransition(client, ctx.fence, {
      to: 'failed',
      cause: ctx.action.cause,
      attempt: ctx.attempt,
      message: `failed at ${f.where}: ${lastError}`,
      lastError,
      step: null,
    });
    if (!ok) return undefined;
    return insertDeadLetter(client, {
      id,
      workspaceId: ctx.workspace.id,
      jobId: ctx.fence.jobId,
      job: { name: ctx.job.name, data: { workspaceId: ctx.workspace.id, generation: ctx.job.data.generation }, action: ctx.action },
      error: lastError,
      step: f.step,
      attempts: f.attempts,
    });
  });
  if (!letter) return false;
  await ctx.queues.deadLetter
    .add(
      'dead-letter',
      { deadLetterId: id, workspaceId: ctx.workspace.id, jobId: ctx.fence.jobId, action: ctx.action, error: lastError, step: f.step, attempts: f.attempts },
      { jobId: id, removeOnComplete: false, removeOnFail: false },
    )
    .catch((err) => ctx.log.warn({ err }, 'could not mirror the dead letter onto its queue; it is in Postgres'));
  return true;
}
