import { FencedError, insertNote, setStep, withTransaction, writeTransition, type Action, type WorkspaceRow } from '@dockyard/shared';
import type { Checkpoint, JobContext, StepName, WorkerDeps } from './context.ts';
import { jobDefinitions, type FinalTransition, type JobDefinition } from './definitions.ts';
import type { JobRun } from './claim.ts';
import { failAttempt } from './fail-attempt.ts';
import type { AttemptOutcome } from './outcome.ts';

/** The context every step of this execution sees; every write it offers is fenced. */
export function makeJobContext(deps: WorkerDeps, run: JobRun, workspace: WorkspaceRow, action: Action): JobContext {
  const { fence, attempt } = run;
  return {
    ...deps,
    log: run.log,
    job: run.job,
    attempt,
    fence,
    workspace,
    action,
    async transition(t) {
      const ok = await withTransaction(deps.pool, (c) => writeTransition(c, fence, { attempt, ...t }));
      if (!ok) throw new FencedError(`write of status ${t.to} refused: job ${fence.jobId} no longer holds the workspace`);
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
 * writes its final transition. Any error becomes the attempt's failure outcome.
 */
export async function runAttempt(ctx: JobContext, run: JobRun): Promise<AttemptOutcome> {
  const definition = jobDefinitions[ctx.action.kind] as JobDefinition<typeof ctx.action.kind>;
  const checkpoint: Checkpoint = ctx.job.data.checkpoint ?? { done: [], state: {} };
  let step: StepName | null = null;
  try {
    if (definition.enters && ctx.workspace.status !== definition.enters) {
      await ctx.transition({ to: definition.enters, cause: ctx.action.cause, step: definition.steps[0]?.name ?? null, extra: { provisionStarted: true } });
    }
    for (const s of definition.steps) {
      if (checkpoint.done.includes(s.name) && !s.rerun) continue;
      step = s.name;
      ctx.log = run.log.child({ step });
      await ctx.setStep(step);
      const began = Date.now();
      const out = await s.run(ctx, checkpoint.state);
      ctx.metrics.stepDuration.observe({ job: ctx.job.name, step }, (Date.now() - began) / 1000);
      ctx.log.debug({ ms: Date.now() - began }, 'step done');
      checkpoint.state = { ...checkpoint.state, ...(out ?? {}) };
      if (!checkpoint.done.includes(step)) checkpoint.done.push(step);
      await ctx.job.updateData({ ...ctx.job.data, checkpoint });
    }
    step = null;
    ctx.log = run.log;
    await ctx.docker.releaseVolumeHelper(ctx.workspace.id);
    const final: FinalTransition = definition.finish(checkpoint.state);
    await ctx.transition({ ...final, cause: ctx.action.cause, step: null });
    return { kind: 'completed', status: final.to };
  } catch (err) {
    return failAttempt(ctx, run, err, { step, checkpoint, lastStep: checkpoint.done.at(-1) ?? null });
  }
}
