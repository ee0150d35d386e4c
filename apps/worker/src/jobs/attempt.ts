import { FencedError, insertNote, setStep, writeFinalTransition, writeTransition, type Action, type WorkspaceRow } from '@dockyard/shared';
import type { Checkpoint, JobContext, StepName, WorkerDeps } from './context.ts';
import { enteringTransition, jobDefinitions, type FinalTransition, type JobDefinition } from './definitions.ts';
import type { JobRun } from './claim.ts';
import { failAttempt } from './fail-attempt.ts';
import type { AttemptOutcome } from './outcome.ts';
import { checkpointOf, finishedLine, logLine, reportStep, stepDoneLine, stepSkippedLine, type StepProgress } from './step-report.ts';

/** The context every step of this execution sees; every write it offers is fenced. */
export function makeJobContext(deps: WorkerDeps, run: JobRun, workspace: WorkspaceRow, action: Action): JobContext {
  const { fence, attempt } = run;
  const refused = (to: string) => new FencedError(`write of status ${to} refused: job ${fence.jobId} no longer holds the workspace`);
  return {
    ...deps,
    log: run.log,
    job: run.job,
    attempt,
    fence,
    workspace,
    action,
    async transition(t) {
      if (!(await writeTransition(deps.pool, fence, { attempt, ...t }))) throw refused(t.to);
    },
    async finish(t) {
      const next = await writeFinalTransition(deps.pool, fence, { attempt, ...t });
      if (!next) throw refused(t.to);
      return next;
    },
    async setStep(step) {
      if (!(await setStep(deps.pool, fence, step))) throw new FencedError(`job ${fence.jobId} no longer holds the workspace`);
    },
    async note(message, cause) {
      await insertNote(deps.pool, { workspaceId: fence.workspaceId, cause, jobId: fence.jobId, attempt, message });
    },
  };
}

/**
 * Run the job's steps (skipping those a previous attempt finished, unless they re-run),
 * then complete: the job's Docker work is over (its volume helper removed) before it
 * writes its final transition, which frees its run slot too. Any error becomes the
 * attempt's failure outcome.
 */
export async function runAttempt(ctx: JobContext, run: JobRun, claim: { entered?: boolean; fresh?: boolean; stepWritten?: string } = {}): Promise<AttemptOutcome> {
  const definition = jobDefinitions[ctx.action.kind] as JobDefinition<typeof ctx.action.kind>;
  const checkpoint: Checkpoint = checkpointOf(ctx.job);
  const of = definition.steps.length;
  let progress: StepProgress | null = null;
  let began: number | null = null;
  let stepWritten = (claim.stepWritten ?? null) as StepName | null;
  // the entering transition (unless the claim wrote it), awaited with the first step's progress
  let entry: Promise<void> | undefined;
  try {
    const entering = enteringTransition(ctx.workspace, ctx.action);
    if (entering) {
      stepWritten = (entering.step ?? null) as StepName | null;
      if (!claim.entered) {
        entry = ctx.transition(entering);
        entry.catch(() => undefined); // handled where it is awaited
      }
    }
    for (const [i, s] of definition.steps.entries()) {
      const at: StepProgress = { step: s.name, index: i + 1, of };
      if (checkpoint.done.includes(s.name) && !s.rerun) {
        void logLine(ctx, stepSkippedLine(at, run.attempt)); // sent ahead of the next step's writes, on the same connection
        continue;
      }
      progress = at;
      ctx.log = run.log.child({ step: s.name });
      // one wait for this step's Postgres write (the entering transition, for the first) and its
      // progress, which carries the checkpoint of the steps before it: the step starts once both are stored
      if (entry && stepWritten !== s.name) await entry; // a later step's own write lands after the entering one
      await Promise.all([entry, stepWritten === s.name ? undefined : ctx.setStep(s.name), reportStep(ctx, at, checkpoint)]);
      stepWritten = null;
      entry = undefined;
      began = Date.now();
      const out = await s.run(ctx, checkpoint.state);
      const ended = Date.now();
      ctx.metrics.stepDuration.observe({ job: ctx.job.name, step: s.name }, (ended - began) / 1000);
      ctx.log.debug({ ms: ended - began }, 'step done');
      checkpoint.state = { ...checkpoint.state, ...(out ?? {}) };
      if (!checkpoint.done.includes(s.name)) checkpoint.done.push(s.name);
      void logLine(ctx, stepDoneLine(at, run.attempt, began, ended, out)); // never rejects; ahead of the next write, on the same connection
    }
    progress = null;
    began = null;
    ctx.log = run.log;
    await Promise.all([entry, ctx.docker.releaseVolumeHelper(ctx.workspace.id, { onlyIfUsed: claim.fresh })]);
    const final: FinalTransition = definition.finish(checkpoint.state);
    const next = await ctx.finish({ ...final, cause: ctx.action.cause, step: null });
    void logLine(ctx, finishedLine(run.attempt, final.to, final.message)); // never rejects; sent before the job is moved to completed
    return { kind: 'completed', status: final.to, next };
  } catch (err) {
    await entry?.catch(() => undefined); // the entering write lands before the failure's own writes
    return failAttempt(ctx, run, err, { step: progress?.step ?? null, progress, began, checkpoint, lastStep: checkpoint.done.at(-1) ?? null });
  }
}
