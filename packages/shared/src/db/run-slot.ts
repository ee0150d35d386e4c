import type { Pool, Queryable } from './pool.ts';
import type { Action } from '../actions.ts';
import type { Endpoint } from '../endpoint.ts';
import type { WorkspaceRow, WorkspaceStatus } from './workspaces.ts';

/**
 * The run slot of a workspace: which job runs (running_job_id + running_token,
 * held by a lease) and which one waits (queued_job_id). Every write a job makes
 * is fenced on its token, so a stale or superseded execution can never apply one.
 */
export interface Fence {
  workspaceId: string;
  jobId: string;
  token: string;
}

export type ClaimResult =
  | { kind: 'claimed'; action: Action; row: WorkspaceRow; tookOverFrom?: string }
  | { kind: 'busy'; runningJobId: string }
  /** the workspace moved on: a newer job holds or waits for it, or it is gone */
  | { kind: 'superseded'; reason: string };

/**
 * Try to take the run slot for jobId (caller holds the row lock via lockWorkspace).
 * A queued job may claim when nothing runs or the running lease expired; a job
 * already holding the slot (a retry, or a stalled job re-run) may re-claim once its
 * lease expired (a failed attempt expires it at once).
 */
export async function claimRunSlot(
  q: Queryable,
  row: WorkspaceRow,
  p: { jobId: string; token: string; leaseMs: number },
): Promise<ClaimResult> {
  const leaseLive = row.lease_until !== null && row.lease_until.getTime() > Date.now();
  if (row.queued_job_id === p.jobId) {
    if (row.running_job_id && leaseLive) return { kind: 'busy', runningJobId: row.running_job_id };
    const claimed = (await takeQueued(q, row.id, p))!;
    return { kind: 'claimed', action: claimed.running_action!, row: claimed, tookOverFrom: row.running_job_id ?? undefined };
  }
  if (row.running_job_id === p.jobId) {
    if (leaseLive) return { kind: 'busy', runningJobId: row.running_job_id };
    const { rows } = await q.query<WorkspaceRow>(
      `update workspaces set running_token = $2::uuid,
              lease_until = now() + make_interval(secs => $3::float8 / 1000), updated_at = now()
        where id = $1::uuid returning *`,
      [row.id, p.token, p.leaseMs],
    );
    const claimed = rows[0]!;
    return { kind: 'claimed', action: claimed.running_action!, row: claimed };
  }
  return { kind: 'superseded', reason: `job ${p.jobId} no longer holds workspace ${row.id} (generation ${row.generation})` };
}

/** Move the queued job into the running slot under a new token and lease (the caller holds the row lock). */
async function takeQueued(q: Queryable, workspaceId: string, p: { token: string; leaseMs: number }): Promise<WorkspaceRow | undefined> {
  const { rows } = await q.query<WorkspaceRow>(
    `update workspaces set running_job_id = queued_job_id, running_action = queued_action,
            running_token = $2::uuid, lease_until = now() + make_interval(secs => $3::float8 / 1000),
            queued_job_id = null, queued_action = null, updated_at = now()
      where id = $1::uuid
      returning *`,
    [workspaceId, p.token, p.leaseMs],
  );
  return rows[0];
}

/** Extend the lease; false when the slot was taken over (the job must stop). */
export async function renewLease(q: Queryable, f: Fence, leaseMs: number): Promise<boolean> {
  const { rowCount } = await q.query(
    `update workspaces set lease_until = now() + make_interval(secs => $3::float8 / 1000)
      where id = $1::uuid and running_token = $2::uuid`,
    [f.workspaceId, f.token, leaseMs],
  );
  return rowCount === 1;
}

/** Give up the lease but keep the slot, so this job's next attempt can re-claim it. */
export async function expireLease(q: Queryable, f: Fence): Promise<void> {
  await q.query('update workspaces set lease_until = now() where id = $1::uuid and running_token = $2::uuid', [
    f.workspaceId,
    f.token,
  ]);
}

/** Free the slot at the end of a job; returns the queued job waiting behind it, if any. */
export async function releaseRunSlot(q: Queryable, f: Fence): Promise<Released> {
  const { rows } = await q.query<{ queued_job_id: string | null; queued_action: Action | null }>(
    `update workspaces set running_job_id = null, running_action = null, running_token = null, lease_until = null,
            step = case when queued_job_id is null then null else 'queued' end, updated_at = now()
      where id = $1::uuid and running_token = $2::uuid
      returning queued_job_id, queued_action`,
    [f.workspaceId, f.token],
  );
  return { queuedJobId: rows[0]?.queued_job_id ?? null, queuedKind: rows[0]?.queued_action?.kind ?? null };
}

export interface Transition {
  to: WorkspaceStatus;
  cause: string;
  attempt?: number;
  message?: string | null;
  step?: string | null;
  lastError?: string | null;
  /** allow writing a `removed` workspace (only the remove job itself does) */
  allowRemoved?: boolean;
  extra?: { provisionStarted?: boolean };
  /** with `online`: where the started container is reached (kept only while online) */
  endpoint?: Endpoint;
}

/** The job that waits behind a freed run slot, if any. */
export interface Released {
  queuedJobId: string | null;
  queuedKind: Action['kind'] | null;
}

/**
 * Fenced status write plus its event row, in one statement (so atomic without a transaction of
 * its own; inside the caller's, if it has one). Returns false (and writes nothing) when the
 * fence no longer holds.
 */
export async function writeTransition(q: Queryable, f: Fence, t: Transition): Promise<boolean> {
  return (await transitionRows(q, f, t, false)).length > 0;
}

/**
 * A job's final transition, freeing its run slot in the same statement (as releaseRunSlot does):
 * what waits behind it, or undefined (nothing written, nothing freed) when the fence no longer holds.
 */
export async function writeFinalTransition(q: Queryable, f: Fence, t: Transition): Promise<Released | undefined> {
  const row = (await transitionRows(q, f, t, true))[0];
  return row && { queuedJobId: row.queued_job_id, queuedKind: row.queued_action?.kind ?? null };
}

async function transitionRows(q: Queryable, f: Fence, t: Transition, release: boolean) {
  const { rows } = await q.query<{ from_status: WorkspaceStatus; queued_job_id: string | null; queued_action: Action | null }>(
    `with moved as (
       update workspaces w set status = $3::workspace_status,
              step = case when $14::boolean then (case when w.queued_job_id is null then null else 'queued' end)
                          when $4::boolean then $5 else w.step end,
              last_error = case when $3::workspace_status = 'failed' then $6 when $3::workspace_status = 'online' then null else w.last_error end,
              provision_started_at = case when $7::boolean then now() else w.provision_started_at end,
              running_since = case when $3::workspace_status = 'online' then now() else w.running_since end,
              next_restart_at = case when $3::workspace_status = 'online' then null else w.next_restart_at end,
              endpoint = case when $3::workspace_status = 'online' then coalesce($9::jsonb, w.endpoint) end,
              running_job_id = case when $14::boolean then null else w.running_job_id end,
              running_action = case when $14::boolean then null else w.running_action end,
              running_token = case when $14::boolean then null else w.running_token end,
              lease_until = case when $14::boolean then null else w.lease_until end,
              updated_at = now()
         from (select status as from_status from workspaces where id = $1::uuid) old
        where w.id = $1::uuid and w.running_token = $2::uuid and (w.status <> 'removed' or $8::boolean)
        returning old.from_status, w.queued_job_id, w.queued_action
     ), logged as (
       insert into workspace_events (workspace_id, from_status, to_status, cause, job_id, attempt, message)
       select $1::uuid, from_status, $3::workspace_status, $10, $11, $12::int, $13 from moved
     )
     select from_status, queued_job_id, queued_action from moved`,
    [
      f.workspaceId,
      f.token,
      t.to,
      t.step !== undefined,
      t.step ?? null,
      t.lastError ?? null,
      t.extra?.provisionStarted ?? false,
      t.allowRemoved ?? false,
      t.endpoint ? JSON.stringify(t.endpoint) : null,
      t.cause,
      f.jobId,
      t.attempt ?? null,
      t.message ?? null,
      release,
    ],
  );
  return rows;
}

/**
 * Fenced update of the current step name; refused once the workspace is removed (except for the
 * remove job). Committed without waiting for its WAL flush (synchronous_commit off for this
 * statement's own transaction, hence a pool, never a client in a transaction): the step is
 * progress, not state. A Postgres crash can lose only the last few, the job's next synchronous
 * write (its final transition) makes every earlier one durable, and a job that loses one re-runs
 * from its checkpoint and writes it again.
 */
export async function setStep(q: Pool, f: Fence, step: string | null): Promise<boolean> {
  const { rowCount } = await q.query(
    `update workspaces w set step = $3, updated_at = now()
       from (select set_config('synchronous_commit', 'off', true)) async_commit
      where w.id = $1::uuid and w.running_token = $2::uuid
        and (w.status <> 'removed' or w.running_action->>'kind' = 'remove')`,
    [f.workspaceId, f.token, step],
  );
  return rowCount === 1;
}

/** Say on the row why the attempt failed while its retry waits (no status change). */
export async function recordRetryError(q: Queryable, f: Fence, message: string): Promise<void> {
  await q.query('update workspaces set last_error = $3, updated_at = now() where id = $1::uuid and running_token = $2::uuid', [
    f.workspaceId,
    f.token,
    message,
  ]);
}

/** Free a slot whose job ended without releasing it (its last writes failed), if that job still holds it. */
export async function freeAbandonedSlot(q: Queryable, workspaceId: string, jobId: string): Promise<void> {
  await q.query(
    `update workspaces set running_job_id = null, running_action = null, running_token = null, lease_until = null
      where id = $1::uuid and running_job_id = $2`,
    [workspaceId, jobId],
  );
}
