import type { Queryable } from './pool.ts';
import type { Action } from '../actions.ts';
import type { Endpoint } from '../endpoint.ts';

export const WORKSPACE_STATUSES = ['provisioning', 'online', 'offline', 'failed', 'paused', 'removed'] as const;
export type WorkspaceStatus = (typeof WORKSPACE_STATUSES)[number];
export const DESIRED_STATES = ['running', 'stopped', 'removed'] as const;
export type DesiredState = (typeof DESIRED_STATES)[number];

export interface WorkspaceRow {
  id: string;
  name: string;
  runtime: string;
  /** legacy: env in clear from before migration 006, `{}` once the migrate CLI sealed it */
  env: Record<string, string>;
  /** the env, sealed by the secret box (secrets.ts); null when the workspace has none */
  env_sealed: string | null;
  /** the env's names, sorted (not secret: the API shows them) */
  env_names: string[];
  status: WorkspaceStatus;
  desired_state: DesiredState;
  generation: number;
  step: string | null;
  last_error: string | null;
  restart_count: number;
  next_restart_at: Date | null;
  provision_started_at: Date | null;
  queued_job_id: string | null;
  queued_action: Action | null;
  running_job_id: string | null;
  running_action: Action | null;
  running_token: string | null;
  lease_until: Date | null;
  crash_times: Date[];
  running_since: Date | null;
  /** the host it is placed on; null while it waits for one */
  host: string | null;
  /** where it is reached while online (null otherwise) */
  endpoint: Endpoint | null;
  created_at: Date;
  updated_at: Date;
}

export async function insertWorkspace(
  q: Queryable,
  ws: {
    id: string;
    name: string;
    runtime: string;
    env: { sealed: string | null; names: string[] };
    host: string | null;
    queuedJobId: string;
    queuedAction: Action;
  },
): Promise<WorkspaceRow> {
  const { rows } = await q.query<WorkspaceRow>(
    `insert into workspaces (id, name, runtime, env_sealed, env_names, status, desired_state, generation, step,
                             queued_job_id, queued_action, provision_started_at, host)
     values ($1::uuid, $2, $3, $4, $5::text[], 'provisioning', 'running', 1,
             case when $8::text is null then 'unscheduled' else 'queued' end, $6, $7::jsonb, now(), $8)
     returning *`,
    [ws.id, ws.name, ws.runtime, ws.env.sealed, ws.env.names, ws.queuedJobId, JSON.stringify(ws.queuedAction), ws.host],
  );
  return rows[0]!;
}

/** Replace the sealed env (and empty the legacy clear one) and, if given, the name (the caller holds the row lock). */
export async function setWorkspaceEnv(
  q: Queryable,
  id: string,
  p: { env: { sealed: string | null; names: string[] }; name?: string },
): Promise<WorkspaceRow> {
  const { rows } = await q.query<WorkspaceRow>(
    `update workspaces set env_sealed = $2, env_names = $3::text[], env = '{}'::jsonb, name = coalesce($4, name), updated_at = now()
      where id = $1::uuid returning *`,
    [id, p.env.sealed, p.env.names, p.name ?? null],
  );
  return rows[0]!;
}

/** Workspaces whose env waits for the re-seal: still in clear, or sealed under another key than `keyId`. */
export async function listEnvToReseal(q: Queryable, keyId: string): Promise<string[]> {
  const { rows } = await q.query<{ id: string }>(
    `select id from workspaces
      where env <> '{}'::jsonb or (env_sealed is not null and split_part(env_sealed, '.', 2) <> $1)
      order by created_at`,
    [keyId],
  );
  return rows.map((r) => r.id);
}

export async function getWorkspace(q: Queryable, id: string): Promise<WorkspaceRow | undefined> {
  const { rows } = await q.query<WorkspaceRow>('select * from workspaces where id = $1::uuid', [id]);
  return rows[0];
}

/** Read a workspace and hold its row lock until the transaction ends. */
export async function lockWorkspace(q: Queryable, id: string): Promise<WorkspaceRow | undefined> {
  const { rows } = await q.query<WorkspaceRow>('select * from workspaces where id = $1::uuid for update', [id]);
  return rows[0];
}

export interface WorkspaceFilter {
  status?: WorkspaceStatus;
  runtime?: string;
  host?: string;
  /** part of the name, matched case-insensitively (`%` and `_` match themselves) */
  nameContains?: string;
  /** leave out removed workspaces (the tombstones) */
  excludeRemoved?: boolean;
  limit: number;
  /** keyset cursor: created_at (as Postgres text, full precision) and id of the last row seen */
  after?: { createdAt: string; id: string };
}

/** A text for `ilike '%' || $n || '%' escape '\\'` that matches itself: its wildcards and escape character escaped. */
const likeEscaped = (text: string | undefined) => (text ? text.replace(/[\\%_]/g, (c) => `\\${c}`) : null);

/** Newest first, keyset-paged. Returns one extra row's worth of cursor text per row. */
export async function listWorkspaces(
  q: Queryable,
  f: WorkspaceFilter,
): Promise<Array<WorkspaceRow & { created_at_text: string }>> {
  const { rows } = await q.query<WorkspaceRow & { created_at_text: string }>(
    `select *, created_at::text as created_at_text from workspaces
      where ($1::workspace_status is null or status = $1::workspace_status)
        and ($2::text is null or runtime = $2::text)
        and ($3::timestamptz is null or (created_at, id) < ($3::timestamptz, $4::uuid))
        and ($6::text is null or host = $6::text)
        and ($7::text is null or name ilike '%' || $7::text || '%' escape '\\')
        and (not $8::boolean or status <> 'removed')
      order by created_at desc, id desc
      limit $5::int`,
    [f.status ?? null, f.runtime ?? null, f.after?.createdAt ?? null, f.after?.id ?? null, f.limit, f.host ?? null, likeEscaped(f.nameContains), f.excludeRemoved ?? false],
  );
  return rows;
}

/** Record a new or merged queued action (the caller holds the row lock). */
export async function setQueuedAction(
  q: Queryable,
  id: string,
  p: { generation: number; jobId: string; action: Action; desiredState: DesiredState | null; step: string | null },
): Promise<WorkspaceRow> {
  const { rows } = await q.query<WorkspaceRow>(
    `update workspaces set generation = $2::int, queued_job_id = $3, queued_action = $4::jsonb,
            desired_state = coalesce($5::desired_state, desired_state), step = $6, updated_at = now()
      where id = $1::uuid returning *`,
    [id, p.generation, p.jobId, JSON.stringify(p.action), p.desiredState, p.step],
  );
  return rows[0]!;
}

/**
 * Merge a request into the action waiting for the workspace, in one statement: applied only if
 * the same job still waits with the same action the caller read (no one merged meanwhile), else
 * undefined (the caller takes the transactional path).
 */
export async function mergeIntoQueued(
  q: Queryable,
  id: string,
  p: { jobId: string; was: Action; action: Action; resetCrashLoop: boolean },
): Promise<WorkspaceRow | undefined> {
  const { rows } = await q.query<WorkspaceRow>(
    `update workspaces set queued_action = $4::jsonb,
            restart_count = case when $5::boolean then 0 else restart_count end,
            crash_times = case when $5::boolean then '{}' else crash_times end,
            next_restart_at = case when $5::boolean then null else next_restart_at end,
            updated_at = now()
      where id = $1::uuid and queued_job_id = $2 and queued_action = $3::jsonb and status <> 'removed'
      returning *`,
    [id, p.jobId, JSON.stringify(p.was), JSON.stringify(p.action), p.resetCrashLoop],
  );
  return rows[0];
}

/** Count workspaces per status (for metrics and the admin page). */
export async function countByStatus(q: Queryable): Promise<Record<string, number>> {
  const { rows } = await q.query<{ status: string; n: number }>(
    'select status::text as status, count(*)::int as n from workspaces group by status',
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** Workspaces the reconciler looks at: every live one, and removed ones that still have a job. */
export async function listReconcilable(q: Queryable, host: string): Promise<WorkspaceRow[]> {
  const { rows } = await q.query<WorkspaceRow>(
    `select * from workspaces where host = $1 and (status <> 'removed' or queued_job_id is not null or running_job_id is not null)`,
    [host],
  );
  return rows;
}

/** Ids of live workspaces matching every given filter, oldest first (bulk restarts). */
export async function findWorkspaceIds(
  q: Queryable,
  f: { runtime?: string; status?: WorkspaceStatus; ids?: string[] },
): Promise<string[]> {
  const { rows } = await q.query<{ id: string }>(
    `select id from workspaces
      where status <> 'removed'
        and ($1::text is null or runtime = $1::text)
        and ($2::workspace_status is null or status = $2::workspace_status)
        and ($3::uuid[] is null or id = any($3::uuid[]))
      order by created_at`,
    [f.runtime ?? null, f.status ?? null, f.ids ?? null],
  );
  return rows.map((r) => r.id);
}

/** The `step` of a workspace whose action waits (e.g. `queued` once it was placed). */
export async function setQueuedStep(q: Queryable, id: string, step: string): Promise<void> {
  await q.query('update workspaces set step = $2, updated_at = now() where id = $1::uuid and running_job_id is null', [id, step]);
}
