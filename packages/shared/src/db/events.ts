import type { Queryable } from './pool.ts';
import type { WorkspaceStatus } from './workspaces.ts';

export interface WorkspaceEventRow {
  id: number;
  workspace_id: string;
  at: Date;
  from_status: WorkspaceStatus | null;
  to_status: WorkspaceStatus;
  cause: string;
  job_id: string | null;
  attempt: number | null;
  message: string | null;
}

export interface NewEvent {
  workspaceId: string;
  from: WorkspaceStatus | null;
  to: WorkspaceStatus;
  cause: string;
  jobId?: string | null;
  attempt?: number | null;
  message?: string | null;
}

export async function insertEvent(q: Queryable, e: NewEvent): Promise<void> {
  await q.query(
    `insert into workspace_events (workspace_id, from_status, to_status, cause, job_id, attempt, message)
     values ($1::uuid, $2::workspace_status, $3::workspace_status, $4, $5, $6::int, $7)`,
    [e.workspaceId, e.from, e.to, e.cause, e.jobId ?? null, e.attempt ?? null, e.message ?? null],
  );
}

/** An informational row (from = to = the workspace's current status). */
export async function insertNote(
  q: Queryable,
  e: { workspaceId: string; cause: string; jobId?: string | null; attempt?: number | null; message: string },
): Promise<void> {
  await q.query(
    `insert into workspace_events (workspace_id, from_status, to_status, cause, job_id, attempt, message)
     select id, status, status, $2, $3, $4::int, $5 from workspaces where id = $1::uuid`,
    [e.workspaceId, e.cause, e.jobId ?? null, e.attempt ?? null, e.message],
  );
}

/** Newest first. */
export async function listEvents(q: Queryable, workspaceId: string, limit: number): Promise<WorkspaceEventRow[]> {
  const { rows } = await q.query<WorkspaceEventRow>(
    'select * from workspace_events where workspace_id = $1::uuid order by id desc limit $2::int',
    [workspaceId, limit],
  );
  return rows;
}
