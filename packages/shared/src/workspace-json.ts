import { z } from 'zod';
import { containerNameOf, volumeNameOf } from './names.ts';
import { Endpoint } from './endpoint.ts';
import { DESIRED_STATES, WORKSPACE_STATUSES, type WorkspaceRow } from './db/workspaces.ts';
import type { WorkspaceEventRow } from './db/events.ts';
import { HOST_STATES, type HostWithUsage } from './db/hosts.ts';

/** The contract's workspace JSON: the API's responses and /openapi.json (component `Workspace`). */
export const WorkspaceJson = z
  .object({
    id: z.uuid(),
    name: z.string(),
    runtime: z.string(),
    /** the names of its env variables, sorted; the values are secrets and never leave Dockyard */
    envNames: z.array(z.string()),
    /** the Docker host it is placed on; null while it waits for one */
    host: z.string().nullable(),
    status: z.enum(WORKSPACE_STATUSES),
    desiredState: z.enum(DESIRED_STATES),
    step: z.string().nullable(),
    lastError: z.string().nullable(),
    restartCount: z.number().int(),
    nextRestartAt: z.string().nullable(),
    generation: z.number().int(),
    containerName: z.string(),
    configVolume: z.string(),
    /** where the agent is reached: set once a job brings the container up, null unless online */
    endpoint: Endpoint.nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Workspace' });
export type WorkspaceJson = z.infer<typeof WorkspaceJson>;

/** One status change of a workspace, as the API lists it. */
export const WorkspaceEventJson = z.object({
  at: z.string(),
  from: z.string().nullable(),
  to: z.string(),
  cause: z.string(),
  jobId: z.string().nullable(),
  attempt: z.number().int().nullable(),
  message: z.string().nullable(),
});
export type WorkspaceEventJson = z.infer<typeof WorkspaceEventJson>;

export function toWorkspaceJson(row: WorkspaceRow): WorkspaceJson {
  return {
    id: row.id,
    name: row.name,
    runtime: row.runtime,
    envNames: row.env_names,
    host: row.host,
    status: row.status,
    desiredState: row.desired_state,
    step: row.step,
    lastError: row.last_error,
    restartCount: row.restart_count,
    nextRestartAt: row.next_restart_at?.toISOString() ?? null,
    generation: row.generation,
    containerName: containerNameOf(row.id),
    configVolume: volumeNameOf(row.id),
    endpoint: row.endpoint ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function toEventJson(e: Omit<WorkspaceEventRow, 'id'>): WorkspaceEventJson {
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

/** A Docker host of the fleet, as the API lists it. */
export const HostJson = z
  .object({
    name: z.string(),
    state: z.enum(HOST_STATES),
    capacity: z.number().int(),
    used: z.number().int(),
    labels: z.record(z.string(), z.string()),
    lastHeartbeat: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Host' });
export type HostJson = z.infer<typeof HostJson>;

export function toHostJson(h: HostWithUsage): HostJson {
  return {
    name: h.name,
    state: h.state,
    capacity: h.capacity,
    used: h.used,
    labels: h.labels,
    lastHeartbeat: h.last_heartbeat?.toISOString() ?? null,
    createdAt: h.created_at.toISOString(),
  };
}
