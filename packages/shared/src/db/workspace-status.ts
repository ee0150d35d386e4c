import type { Queryable } from './pool.ts';
import type { DesiredState, WorkspaceRow, WorkspaceStatus } from './workspaces.ts';

/**
 * Status writes made while a request is recorded (the caller holds the row lock), as opposed
 * to a job's fenced transitions (run-slot.ts). Each returns the row as written.
 */

/** The tombstone: from here on no job may move this workspace again. */
export async function markRemoved(q: Queryable, id: string): Promise<WorkspaceRow> {
  const { rows } = await q.query<WorkspaceRow>(`update workspaces set status = 'removed', updated_at = now() where id = $1::uuid returning *`, [id]);
  return rows[0]!;
}

/** An operator's restart clears the crash-loop history, so auto-restart resumes. */
export async function resetCrashLoop(q: Queryable, id: string): Promise<void> {
  await q.query(`update workspaces set restart_count = 0, crash_times = '{}', next_restart_at = null where id = $1::uuid`, [id]);
}

/** The container died: offline, one more crash counted, the next restart due after `delayMs`. */
export async function markOffline(q: Queryable, id: string, p: { restartCount: number; crashes: Date[]; delayMs: number }): Promise<WorkspaceRow> {
  const { rows } = await q.query<WorkspaceRow>(
    `update workspaces set status = 'offline', restart_count = $2::int, crash_times = $3::timestamptz[],
            next_restart_at = now() + make_interval(secs => $4::float8 / 1000), updated_at = now()
      where id = $1::uuid returning *`,
    [id, p.restartCount, p.crashes, p.delayMs],
  );
  return rows[0]!;
}

/** Too many crashes: failed, and auto-restart stops until an operator restarts it. */
export async function markCrashLoopFailed(q: Queryable, id: string, p: { lastError: string; crashes: Date[] }): Promise<WorkspaceRow> {
  const { rows } = await q.query<WorkspaceRow>(
    `update workspaces set status = 'failed', last_error = $2, crash_times = $3::timestamptz[], next_restart_at = null,
            step = null, updated_at = now()
      where id = $1::uuid returning *`,
    [id, p.lastError, p.crashes],
  );
  return rows[0]!;
}

/** A stop or remove of a workspace placed on no host: nothing exists on Docker, so it is done at once. */
export async function settleUnplaced(
  q: Queryable,
  id: string,
  p: { generation: number; status: WorkspaceStatus; desiredState: DesiredState },
): Promise<WorkspaceRow> {
  const { rows } = await q.query<WorkspaceRow>(
    `update workspaces set generation = $2::int, status = $3::workspace_status, desired_state = $4::desired_state,
            queued_job_id = null, queued_action = null, step = null, updated_at = now()
      where id = $1::uuid returning *`,
    [id, p.generation, p.status, p.desiredState],
  );
  return rows[0]!;
}

/**
 * The workspace's host was lost: no job of it will ever finish there, so its run slot is
 * emptied (a job still alive there is fenced off by the cleared token), and it is placed on
 * no host (`reschedule`) or stays put. Desired running → `offline`. Returns the row as written.
 */
export async function releaseFromLostHost(q: Queryable, id: string, p: { reschedule: boolean }): Promise<WorkspaceRow> {
  const { rows } = await q.query<WorkspaceRow>(
    `update workspaces set running_job_id = null, running_action = null, running_token = null, lease_until = null,
            queued_job_id = null, queued_action = null, step = null,
            status = case when desired_state = 'running' and status <> 'failed' then 'offline'::workspace_status else status end,
            host = case when $2::boolean then null else host end, updated_at = now()
      where id = $1::uuid returning *`,
    [id, p.reschedule],
  );
  return rows[0]!;
}
