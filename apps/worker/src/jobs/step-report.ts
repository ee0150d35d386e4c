import type { JobContext, StepName, StepState } from './context.ts';

/**
 * What bull-board's Progress and Logs tabs show of a job: the step it is in
 * (`job.updateProgress`) and one log line per step (`job.log`). Callers issue these
 * writes together with a write they make anyway (ioredis sends concurrent commands
 * back to back), and a failed write is logged at debug, never failing the job.
 */
export interface StepProgress {
  step: StepName;
  /** 1-based position of the step in its job's definition */
  index: number;
  of: number;
}

/** Set the job's progress to the step it starts; never rejects. */
export function reportStep(ctx: JobContext, progress: StepProgress): Promise<void> {
  return ctx.job.updateProgress(progress).catch((err: unknown) => ctx.log.debug({ err }, 'job progress write failed'));
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
