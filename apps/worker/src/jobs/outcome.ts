import { UnrecoverableError } from 'bullmq';
import type { AttemptRecord, Released, WorkspaceStatus } from '@dockyard/shared';
import type { JobResult, WorkerDeps } from './context.ts';
import type { JobRun } from './claim.ts';

/** How one attempt of a job ended: exactly one of these, decided once. */
export type AttemptOutcome =
  /** the job wrote its final transition, which freed its run slot (`next`: what waits behind it) */
  | { kind: 'completed'; status: WorkspaceStatus; next: Released }
  /** a newer job holds the workspace: this one stops, writing nothing (`fenced`: one of its writes was refused) */
  | { kind: 'superseded'; reason: string; fenced: boolean }
  /** a transient error; BullMQ runs the next attempt after its backoff */
  | { kind: 'retry'; error: unknown; record: AttemptRecord }
  /** a permanent error or the last attempt's: the workspace is `failed` and a dead letter records it */
  | { kind: 'dead-lettered'; record: AttemptRecord; permanent: boolean };

/** The one recorder of outcomes: a log line and the job metrics. */
export function recordOutcome(deps: WorkerDeps, run: JobRun, outcome: AttemptOutcome): void {
  const seconds = (Date.now() - run.startedAt) / 1000;
  const job = run.job.name;
  const { metrics } = deps;
  switch (outcome.kind) {
    case 'completed':
      run.log.info({ to: outcome.status, ms: Math.round(seconds * 1000) }, 'job completed');
      metrics.outcomes.inc({ job, outcome: 'completed' });
      metrics.jobDuration.observe({ job, outcome: 'completed' }, seconds);
      return;
    case 'superseded':
      run.log.info({ reason: outcome.reason, fenced: outcome.fenced }, 'job superseded');
      if (outcome.fenced) metrics.fencedWrites.inc();
      metrics.outcomes.inc({ job, outcome: 'superseded' });
      return;
    case 'retry':
      run.log.warn({ err: outcome.record.error, step: outcome.record.step }, 'attempt failed: will retry');
      metrics.outcomes.inc({ job, outcome: 'retried' });
      return;
    case 'dead-lettered':
      run.log.error({ err: outcome.record.error, step: outcome.record.step, permanent: outcome.permanent }, 'job failed for good: dead-lettered');
      metrics.outcomes.inc({ job, outcome: 'dead_lettered' });
      metrics.jobDuration.observe({ job, outcome: 'dead_lettered' }, seconds);
      return;
    default:
      return assertNever(outcome);
  }
}

/** What the processor hands back to BullMQ: a result, or the error that makes it retry or give up. */
export function settle(outcome: AttemptOutcome): JobResult {
  switch (outcome.kind) {
    case 'completed':
      return { outcome: outcome.status };
    case 'superseded':
      return { outcome: 'superseded' };
    case 'retry':
      throw outcome.error;
    case 'dead-lettered':
      throw new UnrecoverableError(outcome.record.error);
    default:
      return assertNever(outcome);
  }
}

export function assertNever(x: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(x)}`);
}
