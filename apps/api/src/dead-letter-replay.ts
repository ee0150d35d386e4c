import { Action, ApiError, claimDeadLetterReplay, getDeadLetter, markDeadLetterReplayed, releaseDeadLetterReplay, requestAction } from '@dockyard/shared';
import type { ApiDeps } from './deps.ts';

/**
 * Replay a dead letter: claim it (so two replays never both run), request its action again
 * through the intent path, record the replay and mirror it onto the dead-letter queue.
 * Returns the new job's id; NOT_FOUND / CONFLICT as `POST /v1/dead-letters/:id/replay` answers.
 * The API route and the workspace page's replay button both call this.
 */
export async function replayDeadLetter(deps: ApiDeps, id: string): Promise<string> {
  if (!(await claimDeadLetterReplay(deps.pool, id))) {
    const existing = await getDeadLetter(deps.pool, id);
    if (!existing) throw new ApiError('NOT_FOUND', `dead letter ${id} not found`);
    throw new ApiError('CONFLICT', `dead letter ${id} was already replayed as job ${existing.replay_job_id ?? '(pending)'}`);
  }
  const letter = (await getDeadLetter(deps.pool, id))!;
  const original = Action.safeParse(letter.job.action);
  const action: Action = original.success
    ? { ...original.data, cause: `replay of dead letter ${id}` }
    : { kind: 'restart', cause: `replay of dead letter ${id}`, applyTemplate: false, auto: false };
  try {
    const result = await requestAction(deps, letter.workspace_id, action);
    if (result.kind === 'not-found') throw new ApiError('NOT_FOUND', `workspace ${letter.workspace_id} not found`);
    if (result.kind === 'removed') throw new ApiError('CONFLICT', `workspace ${letter.workspace_id} is removed`);
    await markDeadLetterReplayed(deps.pool, id, result.jobId);
    const mirrored = await deps.queues.deadLetter.getJob(id).catch(() => undefined);
    await mirrored?.updateData({ ...mirrored.data, replayedAt: new Date().toISOString(), replayJobId: result.jobId }).catch(() => undefined);
    return result.jobId;
  } catch (err) {
    await releaseDeadLetterReplay(deps.pool, id);
    throw err;
  }
}
