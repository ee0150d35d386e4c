import { renewLease } from '@dockyard/shared';
import type { JobResult, LifecycleJobRun, WorkerDeps } from './context.ts';
import { beginRun, claimWorkspace, holdingLease, waitWhileBusy } from './claim.ts';
import { makeJobContext, runAttempt } from './attempt.ts';
import { checkAfterRelease, releaseWorkspace } from './release.ts';
import { recordOutcome, settle, type AttemptOutcome } from './outcome.ts';

/**
 * The BullMQ processor of every lifecycle queue, in its phases: claim the workspace's
 * run slot → run the steps and complete, or fail the attempt → release the workspace →
 * after-release checks → record the outcome and hand it to BullMQ.
 */
export function makeProcessor(deps: WorkerDeps) {
  return async function processLifecycleJob(job: LifecycleJobRun, token?: string): Promise<JobResult> {
    const run = beginRun(deps, job);
    const claim = await claimWorkspace(deps, run);
    if (claim.kind === 'busy') return waitWhileBusy(run, claim.runningJobId, token);
    if (claim.kind === 'superseded') {
      const outcome = { kind: 'superseded', reason: claim.reason, fenced: false } as const;
      recordOutcome(deps, run, outcome);
      return settle(outcome);
    }
    if (claim.tookOverFrom) run.log.warn({ from: claim.tookOverFrom }, 'took over a workspace whose job lease expired');

    const ctx = makeJobContext(deps, run, claim.row, claim.action);
    // while held, the events watcher leaves this workspace's deaths to the job: it re-checks its container after the release
    deps.held.hold(run.workspaceId);
    let outcome: AttemptOutcome;
    try {
      outcome = await holdingLease(deps, run, () => renewLease(deps.pool, run.fence, deps.config.timing.LEASE_MS), () => runAttempt(ctx, run, claim));
      await releaseWorkspace(deps, run, outcome);
    } finally {
      deps.held.release(run.workspaceId);
    }
    await checkAfterRelease(deps, run, outcome);
    recordOutcome(deps, run, outcome);
    return settle(outcome);
  };
}
