import type { Queryable } from './pool.ts';
import type { WorkspaceStatus } from './workspaces.ts';
import type { WorkspaceEventRow } from './events.ts';
import type { WatchCursor } from '../watch-event.ts';

/** A workspace_events row as the watch feed reads it (xid and id as text: 64-bit). */
export interface WatchRow extends Omit<WorkspaceEventRow, 'id'> {
  xid: string;
  id: string;
  generation: number | null;
}

export interface WatchFilter {
  workspaceId?: string;
  status?: WorkspaceStatus;
}

/** Wake-ups of the watch feeds (migration 008: a statement trigger notifies on every insert). */
export const WATCH_CHANNEL = 'workspace_events';

/**
 * The frontier: the cursor before which no row can appear any more (every transaction with a
 * smaller xid has ended). A new stream without Last-Event-ID starts here.
 */
export async function readWatchFrontier(q: Queryable): Promise<WatchCursor> {
  const { rows } = await q.query<{ xmin: string }>('select pg_snapshot_xmin(pg_current_snapshot())::text as xmin');
  return { xid: BigInt(rows[0]!.xmin), id: 0n };
}

/**
 * Up to `limit` rows after `after` that can no longer be preceded by a late commit (xid below this
 * statement's snapshot xmin), in (xid, id) order, optionally filtered; and that xmin as a cursor:
 * when fewer than `limit` rows come back, the reader has seen every matching row before it.
 */
export async function readWatchRows(q: Queryable, after: WatchCursor, filter: WatchFilter, limit: number): Promise<{ rows: WatchRow[]; frontier: WatchCursor }> {
  const { rows } = await q.query<WatchRow & { frontier: string }>(
    `with s as (select pg_snapshot_xmin(pg_current_snapshot()) as xmin)
     select e.xid::text as xid, e.id::text as id, e.workspace_id, e.at, e.from_status, e.to_status, e.cause,
            e.job_id, e.attempt, e.message, e.generation, s.xmin::text as frontier
       from s left join lateral (
         select * from workspace_events e
          where (e.xid, e.id) > ($1::text::xid8, $2::bigint) and e.xid < s.xmin
            and ($3::uuid is null or e.workspace_id = $3::uuid)
            and ($4::workspace_status is null or e.to_status = $4::workspace_status)
          order by e.xid, e.id
          limit $5::int
       ) e on true`,
    [String(after.xid), String(after.id), filter.workspaceId ?? null, filter.status ?? null, limit],
  );
  const frontier: WatchCursor = { xid: BigInt(rows[0]!.frontier), id: 0n };
  return { rows: rows.filter((r) => r.id !== null), frontier };
}

/** Subscribe a dedicated connection to the feeds' wake-ups. */
export async function listenForWatchEvents(client: Pick<Queryable, 'query'>): Promise<void> {
  await client.query(`listen ${WATCH_CHANNEL}`);
}
