/** Docker names, compatible with the seed so existing volumes keep working. */
export const MANAGED_LABEL = 'molecule.platform.managed';
export const WORKSPACE_ID_LABEL = 'dockyard.workspace-id';

export const id12 = (workspaceId: string): string => workspaceId.slice(0, 12);
export const containerNameOf = (workspaceId: string): string => `ws-${id12(workspaceId)}`;
export const volumeNameOf = (workspaceId: string): string => `ws-${id12(workspaceId)}-configs`;

/** Deterministic BullMQ job id: one per workspace generation. */
export const jobIdOf = (workspaceId: string, generation: number): string => `${workspaceId}.${generation}`;
/** jobIdOf in SQL, for a statement that takes the generation itself: both are SQL expressions (a uuid, an integer). */
export const jobIdSql = (workspaceId: string, generation: string): string => `${workspaceId}::text || '.' || (${generation})`;

/** Which installation made a Docker object (its id is in Postgres, table `installation`). */
export const INSTALLATION_LABEL = 'dockyard.installation';
export const ROLE_LABEL = 'dockyard.role';
/** Which host of the fleet made a Docker object (two hosts pointed at one engine by mistake keep apart). */
export const HOST_LABEL = 'dockyard.host';

/** The generation a job id was made for. */
export const generationOf = (jobId: string): number => Number(jobId.slice(jobId.lastIndexOf('.') + 1));
