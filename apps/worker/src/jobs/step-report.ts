import type { Checkpoint, JobContext, StepName, StepState } from './context.ts';

/**
 * What bull-board's Progress and Logs tabs show of a job: the step it is in with the steps done
 * before it (`job.updateProgress`) and one log line per step (`job.log`). Callers issue these
 * writes together with a write they make anyway (ioredis sends concurrent commands back to
 * back), and a failed write is logged at debug, never failing the job.
 */
export interface StepProgress {
  step: StepName;
  /** 1-based position of the step in its job's definition */
  index: number;
  of: number;
}

/**
 * The job's progress as it starts a step: the step, and the checkpoint it starts from (the steps
 * done and their state), which a re-run of the job resumes from (see checkpointOf).
 */
export type ProgressRecord = StepProgress & Checkpoint;

/** Set the job's progress to the step it starts, with its checkpoint; never rejects. */
export function reportStep(ctx: JobContext, progress: StepProgress, checkpoint: Checkpoint): Promise<void> {
  const record: ProgressRecord = { ...progress, done: [...checkpoint.done], state: checkpoint.state };
  return ctx.job.updateProgress(record).catch((err: unknown) => ctx.log.debug({ err }, 'job progress write failed'));
}

/**
 * Where a job resumes: the newer of the checkpoint in its progress (written as each step starts)
 * and the one a failed attempt saved in its data. Checkpoints only grow over a job's attempts,
 * so the one with more steps done is the newer.
 */
export function checkpointOf(job: { data: { checkpoint?: Checkpoint }; progress: unknown }): Checkpoint {
  const p = job.progress as Partial<ProgressRecord> | null;
  const fromProgress = p && typeof p === 'object' && Array.isArray(p.done) ? { done: p.done, state: p.state ?? {} } : undefined;
  const saved = job.data.checkpoint;
  const newest = saved && (!fromProgress || saved.done.length > fromProgress.done.length) ? saved : fromProgress;
  return newest ? { done: [...newest.done], state: { ...newest.state } } : { done: [], state: {} };
}

/** Append one line to the job's log; never rejects. */
export function logLine(ctx: JobContext, line: string): Promise<void> {
  return ctx.job.log(line).then(
    () => undefined,
    (err: unknown) => ctx.log.debug({ err }, 'job log write failed'),
  );
}

const prefix = (p: StepProgress | null, attempt: number) => `attempt ${attempt}${p ? ` [${p.index}/${p.of}] ${p.step}` : ''}`;
const span = (began: number, ended: number) => `${ended - began} ms (${new Date(began).toISOString()} → ${new Date(ended).toISOString()})`;

/** What a step handed on, e.g. `branch="volume healthy"`: the branch it took, what it found. */
function describeOutput(out: Partial<StepState> | void): string {
  const fields = Object.entries(out ?? {}).filter(([, v]) => v !== undefined);
  return fields.length ? ` — ${fields.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}` : '';
}

export const stepDoneLine = (p: StepProgress, attempt: number, began: number, ended: number, out: Partial<StepState> | void) =>
  `${prefix(p, attempt)}: done in ${span(began, ended)}${describeOutput(out)}`;

export const stepSkippedLine = (p: StepProgress, attempt: number) => `${prefix(p, attempt)}: skipped (an earlier attempt finished it)`;

/** `where` names the failure when no step ran (e.g. completion after the last step). */
export const stepFailedLine = (p: StepProgress | null, where: string, attempt: number, began: number | null, error: string, next: 'retry' | 'dead-letter') =>
  `${p ? prefix(p, attempt) : `attempt ${attempt} ${where}`}: failed${began === null ? '' : ` after ${span(began, Date.now())}`} — ${error} (${
    next === 'retry' ? 'will retry' : 'failed for good: dead-lettered'
  })`;

export const finishedLine = (attempt: number, to: string, message: string | null | undefined) => `attempt ${attempt}: finished → ${to}${message ? ` (${message})` : ''}`;

export const supersededLine = (attempt: number, reason: string) => `attempt ${attempt}: superseded — ${reason}`;
