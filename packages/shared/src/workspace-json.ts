import { containerNameOf, volumeNameOf } from './names.ts';
import type { WorkspaceRow } from './db/workspaces.ts';
import type { WorkspaceEventRow } from './db/events.ts';

/** The contract's workspace JSON. */
export function toWorkspaceJson(row: WorkspaceRow) {
  return {
    id: row.id,
    name: row.name,
    runtime: row.runtime,
    status: row.status,
    desiredState: row.desired_state,
    step: row.step,
    lastError: row.last_error,
    restartCount: row.restart_count,
    nextRestartAt: row.next_restart_at?.toISOString() ?? null,
    generation: row.generation,
    containerName: containerNameOf(row.id),
    configVolume: volumeNameOf(row.id),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
export type WorkspaceJson = ReturnType<typeof toWorkspaceJson>;

export function toEventJson(e: WorkspaceEventRow) {
  return {
    at: e.at.toISOString(),
    from: e.from_status,
    to: e.to_status,
    cause: e.cause,
    jobId: e.job_id,
    attempt: e.attempt,
    message: e.message,
  };
}
