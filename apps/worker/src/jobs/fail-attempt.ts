import { FencedError, PermanentError, messageOf, recordRetryError, type AttemptRecord } from '@dockyard/shared';
import type { Checkpoint, JobContext, StepName } from './context.ts';
import type { JobRun } from './claim.ts';
import { deadLetter } from './dead-letter.ts';
import type { AttemptOutcome } from './outcome.ts';
import { logLine, stepFailedLine, supersededLine, type StepProgress } from './step-report.ts';

/** Retry versus final failure, decided here and nowhere else. */
export const isFinalFailure = (err: unknown, attempt: number, attempts: number): boolean => err instanceof PermanentError || attempt >= attempts;

/** Where an attempt failed, in words: a step, or completing the job after its last step. */
const whereOf = (step: StepName | null, lastStep: StepName | null) => step ?? (lastStep ? `completion (after ${lastStep})` : 'completion');

/**
 * An attempt threw: a refused write means a newer job took over (superseded); otherwise
 * the attempt is recorded in the job's data, and either the workspace is failed and
 * dead-lettered, or the error stays on the row while the retry waits.
 */
export async function failAttempt(
  ctx: JobContext,
  run: JobRun,
  err: unknown,
  at: { step: StepName | null; lastStep: StepName | null; checkpoint: Checkpoint; progress: StepProgress | null; began: number | null },
): Promise<AttemptOutcome> {
  if (err instanceof FencedError) {
    void logLine(ctx, supersededLine(run.attempt, messageOf(err))); // never rejects
    return { kind: 'superseded', reason: messageOf(err), fenced: true };
  }
  const where = whereOf(at.step, at.lastStep);
  const record: AttemptRecord = { attempt: run.attempt, step: at.step, error: messageOf(err), at: new Date().toISOString() };
  const attempts = [...(ctx.job.data.attempts ?? []), record];
  const final = isFinalFailure(err, run.attempt, ctx.job.opts.attempts ?? 1);
  await Promise.all([
    ctx.job.updateData({ ...ctx.job.data, checkpoint: at.checkpoint, attempts }).catch(() => undefined),
    logLine(ctx, stepFailedLine(at.progress, where, run.attempt, at.began, record.error, final ? 'dead-letter' : 'retry')),
  ]);

  if (final) {
    const permanent = err instanceof PermanentError;
    const written = await deadLetter(ctx, { error: record.error, where, step: at.step, attempts, permanent });
    if (!written) return { kind: 'superseded', reason: 'a newer job took the workspace over before the failure could be written', fenced: true };
    return { kind: 'dead-lettered', record, permanent };
  }
  await recordRetryError(ctx.pool, ctx.fence, `attempt ${run.attempt} failed at ${where}: ${record.error} (retrying)`).catch(() => undefined);
  return { kind: 'retry', error: err, record };
}
