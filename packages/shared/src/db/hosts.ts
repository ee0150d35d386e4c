import type { Queryable } from './pool.ts';
import type { WorkspaceRow } from './workspaces.ts';

export const HOST_STATES = ['ready', 'cordoned', 'draining', 'lost'] as const;
export type HostState = (typeof HOST_STATES)[number];

export interface HostRow {
  name: string;
  labels: Record<string, string>;
  capacity: number;
  state: HostState;
  last_heartbeat: Date | null;
  created_at: Date;
  updated_at: Date;
}
export type HostWithUsage = HostRow & { used: number };

/**
 * A worker of the host started: record (or update) its capacity and labels, and its heartbeat.
 * A host that was lost comes back ready; a cordoned or draining one keeps its state.
 */
export async function registerHost(q: Queryable, h: { name: string; capacity: number; labels: Record<string, string> }): Promise<HostRow> {
  const { rows } = await q.query<HostRow>(
    `insert into hosts (name, capacity, labels, last_heartbeat) values ($1, $2::int, $3::jsonb, now())
     on conflict (name) do update set capacity = excluded.capacity, labels = excluded.labels, last_heartbeat = now(),
            state = case when hosts.state = 'lost' then 'ready'::host_state else hosts.state end, updated_at = now()
     returning *`,
    [h.name, h.capacity, JSON.stringify(h.labels)],
  );
  return rows[0]!;
}

/** The host's workers are alive; its state, or undefined when the host is unknown. */
export async function heartbeatHost(q: Queryable, name: string): Promise<HostState | undefined> {
  const { rows } = await q.query<{ state: HostState }>('update hosts set last_heartbeat = now() where name = $1 returning state', [name]);
  return rows[0]?.state;
}

/** How many other hosts are alive (reported at least once, not lost): where a lost host's workspaces could go. */
export async function countOtherLiveHosts(q: Queryable, name: string): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    `select count(*)::int as n from hosts where name <> $1 and state <> 'lost' and last_heartbeat is not null`,
    [name],
  );
  return rows[0]!.n;
}

/** Hosts silent for longer than `lostAfterMs` become `lost`; returns their names (each once). */
export async function markLostHosts(q: Queryable, lostAfterMs: number): Promise<string[]> {
  const { rows } = await q.query<{ name: string }>(
    `update hosts set state = 'lost', updated_at = now()
      where state <> 'lost' and last_heartbeat < now() - make_interval(secs => $1::float8 / 1000)
      returning name`,
    [lostAfterMs],
  );
  return rows.map((r) => r.name);
}

/** Ids of the workspaces placed on a host (removed ones aside). */
export async function workspaceIdsOnHost(q: Queryable, host: string): Promise<string[]> {
  const { rows } = await q.query<{ id: string }>(`select id from workspaces where host = $1 and status <> 'removed' order by created_at`, [host]);
  return rows.map((r) => r.id);
}

const WITH_USAGE = `select h.*, coalesce(u.used, 0)::int as used from hosts h
  left join (select host, count(*)::int as used from workspaces where status <> 'removed' and host is not null group by host) u
    on u.host = h.name`;

/** Every host with the number of workspaces placed on it (not removed), by name. */
export async function listHosts(q: Queryable): Promise<HostWithUsage[]> {
  const { rows } = await q.query<HostWithUsage>(`${WITH_USAGE} order by h.name`);
  return rows;
}

export async function getHost(q: Queryable, name: string): Promise<HostWithUsage | undefined> {
  const { rows } = await q.query<HostWithUsage>(`${WITH_USAGE} where h.name = $1`, [name]);
  return rows[0];
}

// Any constant works; it serialises placements across processes.
const PLACEMENT_LOCK = 727_002;

/** Take the placement turn until the caller's transaction ends. */
export async function lockPlacements(q: Queryable): Promise<void> {
  await q.query('select pg_advisory_xact_lock($1)', [PLACEMENT_LOCK]);
}

export async function setHostState(q: Queryable, name: string, state: HostState): Promise<HostRow | undefined> {
  const { rows } = await q.query<HostRow>('update hosts set state = $2::host_state, updated_at = now() where name = $1 returning *', [name, state]);
  return rows[0];
}

/** Workspaces waiting for a host (placed nowhere yet), oldest first. */
export async function listUnplaced(q: Queryable, limit = 500): Promise<Array<{ id: string }>> {
  const { rows } = await q.query<{ id: string }>(
    `select id from workspaces where host is null and status <> 'removed' order by created_at limit $1::int`,
    [limit],
  );
  return rows;
}

/** Put a workspace on a host (only if it is still placed nowhere); false when someone placed it meanwhile. */
export async function setWorkspaceHost(q: Queryable, id: string, host: string): Promise<boolean> {
  const { rowCount } = await q.query('update workspaces set host = $2, updated_at = now() where id = $1::uuid and host is null', [id, host]);
  return rowCount === 1;
}

/** A draining host's workspaces: how many are being moved now, and up to `limit` not yet asked to move. */
export async function drainProgress(q: Queryable, host: string, limit: number): Promise<{ left: number; moving: number; next: string[] }> {
  const { rows } = await q.query<{ id: string; moving: boolean }>(
    `select id, (coalesce(queued_action->>'kind', '') = 'move' or coalesce(running_action->>'kind', '') = 'move') as moving
       from workspaces where host = $1 and status <> 'removed' order by created_at`,
    [host],
  );
  return { left: rows.length, moving: rows.filter((r) => r.moving).length, next: rows.filter((r) => !r.moving).slice(0, limit).map((r) => r.id) };
}

/** Workspaces per host and status (those placed nowhere aside), for the metrics. */
export async function countWorkspacesByHost(q: Queryable): Promise<Array<{ host: string; status: string; n: number }>> {
  const { rows } = await q.query<{ host: string; status: string; n: number }>(
    'select host, status::text as status, count(*)::int as n from workspaces where host is not null group by host, status',
  );
  return rows;
}

/** Put a workspace on another host, or on none (null: it waits for placement); returns the row. */
export async function setWorkspaceHostAnyway(q: Queryable, id: string, host: string | null): Promise<WorkspaceRow> {
  const { rows } = await q.query<WorkspaceRow>('update workspaces set host = $2, updated_at = now() where id = $1::uuid returning *', [id, host]);
  return rows[0]!;
}
