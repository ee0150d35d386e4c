import type { Queryable } from './pool.ts';
import { CANONICAL_UUID, batchPerPass } from './workspace-reads.ts';
import type { DesiredState, WorkspaceRow } from './workspaces.ts';
import type { Action } from '../actions.ts';
import { jobIdSql } from '../names.ts';

/** What a request asks of a workspace nothing waits for (see recordFreshActions). */
export interface FreshAsk {
  action: Action;
  desiredState: DesiredState | null;
  resetCrashLoop: boolean;
}

/** A request's first statement: its new generation as written (`fresh`), else the row as read. */
export interface FreshOutcome {
  row: WorkspaceRow;
  fresh: boolean;
}

/** Read a workspace, writing the request's new generation in the same statement when nothing waits; undefined: no such workspace. */
export type FreshRecorder = (id: string, ask: FreshAsk) => Promise<FreshOutcome | undefined>;

/** The recorder a caller gave (the API's batching one), else one statement per request. */
export const recorderOf = (deps: { pool: Queryable; recordFresh?: FreshRecorder }): FreshRecorder =>
  deps.recordFresh ?? ((id, ask) => recordFreshAction(deps.pool, id, ask));

/**
 * A request's read and its common-case write in one statement (the update takes the row lock a
 * transaction would): when no action waits and the workspace is placed and not removed, the row
 * gets the next generation, whose job id is jobIdOf's, and the action → fresh. Any other row is
 * returned as read (a statement's snapshot), for the caller to coalesce into the waiting action
 * or to take the transactional path. Many requests share the statement and its commit; a second
 * request for a workspace of the statement gets the first one's row (fresh: false: the action
 * it waits behind now). `skipLocked`: a row another transaction holds locked is read instead of
 * waited for, so two such statements never deadlock over their rows.
 */
async function recordFreshActions(
  q: Queryable,
  asks: Array<{ id: string; ask: FreshAsk }>,
  opts: { skipLocked: boolean },
): Promise<Array<FreshOutcome | undefined>> {
  const firstOf = new Map<string, number>();
  const input = asks.flatMap(({ id, ask }, batch_index) => {
    if (firstOf.has(id.toLowerCase())) return [];
    firstOf.set(id.toLowerCase(), batch_index);
    return [{ batch_index, id, action: ask.action, desired_state: ask.desiredState, reset: ask.resetCrashLoop }];
  });
  const waitsFree = `w.queued_job_id is null and w.host is not null and w.status <> 'removed'`;
  const { rows } = await q.query<WorkspaceRow & { batch_index: number; fresh: boolean }>({
    name: opts.skipLocked ? 'fresh-actions-skip-locked' : 'fresh-actions',
    text: `with input as (
       select * from jsonb_to_recordset($1::jsonb)
         as i(batch_index int, id uuid, action jsonb, desired_state desired_state, reset boolean)
     ), free as (
       select w.id from workspaces w join input i on i.id = w.id
        where ${waitsFree}
          for update of w ${opts.skipLocked ? 'skip locked' : ''}
     ), written as (
       update workspaces w set generation = w.generation + 1, queued_job_id = ${jobIdSql('w.id', 'w.generation + 1')},
              queued_action = i.action,
              desired_state = coalesce(i.desired_state, w.desired_state),
              step = case when w.running_job_id is null then 'queued' else w.step end,
              restart_count = case when i.reset then 0 else w.restart_count end,
              crash_times = case when i.reset then '{}' else w.crash_times end,
              next_restart_at = case when i.reset then null else w.next_restart_at end,
              updated_at = now()
         from input i
        where w.id = i.id and w.id in (select id from free) and ${waitsFree}
       returning true as fresh, i.batch_index, w.*
     )
     select * from written
     union all
     select false, i.batch_index, w.* from input i join workspaces w on w.id = i.id
      where i.batch_index not in (select batch_index from written)`,
    values: [JSON.stringify(input)],
  });
  const byIndex = new Map(rows.map(({ batch_index, fresh, ...row }) => [batch_index, { row: row as WorkspaceRow, fresh }]));
  return asks.map(({ id }, i) => {
    const first = firstOf.get(id.toLowerCase())!;
    const outcome = byIndex.get(first);
    return first === i || !outcome ? outcome : { row: outcome.row, fresh: false };
  });
}

/** One request's read-or-fresh-write, waiting for its row's lock as a plain update would. */
export async function recordFreshAction(q: Queryable, id: string, ask: FreshAsk): Promise<FreshOutcome | undefined> {
  return (await recordFreshActions(q, [{ id, ask }], { skipLocked: false }))[0];
}

/**
 * Record the requests of a busy API the way its reads are made (batchPerPass): the requests of
 * one pass of the event loop share one statement, which reads each workspace and
 * takes the new generation of those nothing waits for, so a wave of requests costs one round
 * trip and one durable commit instead of a read and a write each, queued behind the pool.
 * Locked rows are read, not waited for (their requests take the transactional path). Every
 * request is answered only after that statement committed.
 */
export function makeFreshRecorder(pool: Queryable, maxBatchSize = 100): FreshRecorder {
  const record = batchPerPass((asks: Array<{ id: string; ask: FreshAsk }>) => recordFreshActions(pool, asks, { skipLocked: true }), maxBatchSize);
  return (id, ask) => (CANONICAL_UUID.test(id) ? record({ id, ask }) : recordFreshAction(pool, id, ask));
}
