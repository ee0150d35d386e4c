import DataLoader from 'dataloader';
import type { Queryable } from './pool.ts';
import { CANONICAL_UUID } from './workspace-reads.ts';
import type { DesiredState, WorkspaceRow } from './workspaces.ts';
import type { Action } from '../actions.ts';

/** A request's new generation for a workspace nothing waits for (see queueFreshAction). */
export interface FreshAction {
  generation: number;
  jobId: string;
  action: Action;
  desiredState: DesiredState | null;
  resetCrashLoop: boolean;
}

/** Records a fresh action: the row as written, or undefined (not written: the caller takes the transactional path). */
export type FreshActionWriter = (id: string, p: FreshAction) => Promise<WorkspaceRow | undefined>;

/** The writer a caller gave (the API's batching one), else one statement per request. */
export const freshWriterOf = (deps: { pool: Queryable; writeFresh?: FreshActionWriter }): FreshActionWriter =>
  deps.writeFresh ?? ((id, p) => queueFreshAction(deps.pool, id, p));

/**
 * A request's common case (the update takes the row lock a transaction would): no action waits,
 * the workspace is placed and not removed, and its generation is still the one the caller read →
 * `generation` and `jobId` (the caller's next ones). Written for many requests in one statement
 * and one commit; a second request for a workspace already in the statement gets undefined, as
 * one whose guard fails does: the caller then takes the transactional path, which merges into a
 * waiting action. `skipLocked`: a row another transaction holds locked is skipped (undefined)
 * instead of waited for, so two such statements can never deadlock over their rows.
 */
async function writeFreshActions(
  q: Queryable,
  asks: Array<{ id: string; p: FreshAction }>,
  opts: { skipLocked: boolean },
): Promise<Array<WorkspaceRow | undefined>> {
  const seen = new Set<string>();
  const input = asks.flatMap(({ id, p }, batch_index) => {
    if (seen.has(id.toLowerCase())) return [];
    seen.add(id.toLowerCase());
    return [{ batch_index, id, generation: p.generation, job_id: p.jobId, action: p.action, desired_state: p.desiredState, reset: p.resetCrashLoop }];
  });
  const { rows } = await q.query<WorkspaceRow & { batch_index: number }>(
    `with input as (
       select * from jsonb_to_recordset($1::jsonb)
         as i(batch_index int, id uuid, generation int, job_id text, action jsonb, desired_state desired_state, reset boolean)
     ), free as (
       select w.id from workspaces w join input i on i.id = w.id
        where w.generation = i.generation - 1 and w.queued_job_id is null and w.host is not null and w.status <> 'removed'
          for update of w ${opts.skipLocked ? 'skip locked' : ''}
     )
     update workspaces w set generation = i.generation, queued_job_id = i.job_id, queued_action = i.action,
            desired_state = coalesce(i.desired_state, w.desired_state),
            step = case when w.running_job_id is null then 'queued' else w.step end,
            restart_count = case when i.reset then 0 else w.restart_count end,
            crash_times = case when i.reset then '{}' else w.crash_times end,
            next_restart_at = case when i.reset then null else w.next_restart_at end,
            updated_at = now()
       from input i
      where w.id = i.id and w.id in (select id from free)
        and w.generation = i.generation - 1 and w.queued_job_id is null and w.host is not null and w.status <> 'removed'
     returning i.batch_index, w.*`,
    [JSON.stringify(input)],
  );
  const written = new Map(rows.map(({ batch_index, ...row }) => [batch_index, row as WorkspaceRow]));
  return asks.map((_, i) => written.get(i));
}

/** One request's fresh action, waiting for its row's lock as a plain update would. */
export async function queueFreshAction(q: Queryable, id: string, p: FreshAction): Promise<WorkspaceRow | undefined> {
  return (await writeFreshActions(q, [{ id, p }], { skipLocked: false }))[0];
}

/**
 * Write the fresh actions of a busy API the way its reads are made (makeWorkspaceReader): the
 * requests of one pass of the event loop share one statement, so a wave of requests costs one
 * durable commit instead of one each, queued behind the pool. Locked rows are skipped (their
 * requests take the transactional path). Every request is answered only after that statement
 * committed.
 */
export function makeFreshActionWriter(pool: Queryable, maxBatchSize = 100): FreshActionWriter {
  const batch = new DataLoader<{ id: string; p: FreshAction }, WorkspaceRow | undefined>((asks) => writeFreshActions(pool, [...asks], { skipLocked: true }), {
    cache: false,
    maxBatchSize,
    batchScheduleFn: (run) => setImmediate(run),
  });
  return (id, p) => (CANONICAL_UUID.test(id) ? batch.load({ id, p }) : queueFreshAction(pool, id, p));
}
