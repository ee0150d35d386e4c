import type { Queryable } from './pool.ts';
import type { ActionKind } from '../actions.ts';
import type { ClaimResult } from './run-slot.ts';
import type { WorkspaceRow, WorkspaceStatus } from './workspaces.ts';

/** What a job of `kind` writes as it claims: the status it enters (unless the workspace is in it already) and its first step. */
export interface ClaimEntry {
  kind: ActionKind;
  enters?: WorkspaceStatus;
  firstStep: string | null;
  attempt: number;
}

/**
 * The common claim in one statement, without a transaction or a row read first: jobId waits in
 * the queued slot as a `kind` action and nothing runs. The same statement writes what the job
 * would write next: the status it enters with its event row (cause: the action's) and its first
 * step. Undefined in every other case (a retry re-claiming, a takeover, a busy or superseded job,
 * a missing or removed workspace, another kind queued): those go through claimRunSlot under the
 * row lock.
 */
export async function claimFreeRunSlot(
  q: Queryable,
  p: { workspaceId: string; jobId: string; token: string; leaseMs: number } & ClaimEntry,
): Promise<(ClaimResult & { kind: 'claimed'; entered: boolean }) | undefined> {
  const { rows } = await q.query<WorkspaceRow & { from_status: WorkspaceStatus }>(
    `with moved as (
       update workspaces w set running_job_id = w.queued_job_id, running_action = w.queued_action,
              running_token = $2::uuid, lease_until = now() + make_interval(secs => $3::float8 / 1000),
              queued_job_id = null, queued_action = null,
              status = coalesce($6::workspace_status, w.status), step = $7,
              -- entering a status (never online) starts a provision and forgets where the container was reached
              provision_started_at = case when w.status <> coalesce($6::workspace_status, w.status) then now() else w.provision_started_at end,
              endpoint = case when w.status <> coalesce($6::workspace_status, w.status) then null else w.endpoint end,
              updated_at = now()
         from (select status as from_status from workspaces where id = $1::uuid) old
        where w.id = $1::uuid and w.queued_job_id = $4 and w.running_job_id is null
          and w.queued_action->>'kind' = $5 and (w.status <> 'removed' or $5 = 'remove')
        returning w.*, old.from_status
     ), logged as (
       insert into workspace_events (workspace_id, from_status, to_status, cause, job_id, attempt)
       select $1::uuid, from_status, status, running_action->>'cause', $4, $8::int from moved where from_status <> status
     )
     select * from moved`,
    [p.workspaceId, p.token, p.leaseMs, p.jobId, p.kind, p.enters ?? null, p.firstStep, p.attempt],
  );
  const row = rows[0];
  if (!row) return undefined;
  const { from_status: from, ...claimed } = row;
  return { kind: 'claimed', action: claimed.running_action!, row: claimed, entered: from !== claimed.status };
}
