import type pg from 'pg';
import type { Worker } from 'bullmq';
import { getWorkspace, insertNote, messageOf, registerHost, type Logger } from '@dockyard/shared';
import type { WorkerConfig } from '../config.ts';
import type { WorkspaceDocker } from '../docker/workspace-docker.ts';

export interface FenceDeps {
  pool: pg.Pool;
  docker: WorkspaceDocker;
  config: WorkerConfig;
  log: Logger;
  installationId: string;
  /** this process's lifecycle workers: paused while fenced */
  workers: Array<Pick<Worker, 'pause' | 'resume'>>;
}

/**
 * Self-fencing: a worker that cannot report its host for HOST_FENCE_AFTER_MS stops its own
 * workspaces' containers and takes no job, before the others may count the host lost
 * (HOST_LOST_AFTER_MS, longer) and start copies elsewhere: never two copies at once. Once it
 * reports again, it first removes the containers (and volumes) of workspaces now placed on
 * another host, leaving a note in their event log, then rejoins and takes jobs again.
 */
export function makeHostFence(deps: FenceDeps) {
  let fenced = false;

  return {
    get fenced() {
      return fenced;
    },

    async fence(silentForMs: number): Promise<void> {
      if (fenced) return;
      fenced = true;
      deps.log.error({ silentForMs }, 'host fenced: cannot report to Postgres; stopping its containers and taking no job');
      await Promise.all(deps.workers.map((w) => w.pause(true).catch(() => undefined)));
      const containers = await ownContainers(deps).catch((err) => {
        deps.log.error({ err: messageOf(err) }, 'fence: cannot list containers');
        return [];
      });
      await Promise.all(
        containers
          .filter((c) => c.running)
          .map((c) =>
            deps.docker
              .stopContainer(c.workspaceId, Math.min(deps.config.stopTimeoutS, 2))
              .catch((err) => deps.log.error({ err: messageOf(err), container: c.name }, 'fence: could not stop a container')),
          ),
      );
      deps.log.warn({ stopped: containers.filter((c) => c.running).length }, 'host fenced');
    },

    /** Report again: clean up what moved away, rejoin as ready, take jobs. Throws (and stays fenced) if Postgres fails meanwhile. */
    async rejoin(): Promise<void> {
      const removed = await removeStaleCopies(deps);
      await registerHost(deps.pool, deps.config.host);
      fenced = false;
      deps.workers.forEach((w) => w.resume());
      deps.log.warn({ removed }, 'host rejoined: removed copies of workspaces placed elsewhere; taking jobs again');
    },
  };
}
export type HostFence = ReturnType<typeof makeHostFence>;

/** This installation's workspace containers made by this host (or, made before the fleet, by no host). */
async function ownContainers(deps: Pick<FenceDeps, 'docker' | 'installationId' | 'config'>) {
  const host = deps.config.host.name;
  return (await deps.docker.listManagedContainers()).filter(
    (c) => c.installation === deps.installationId && !c.role && (c.host === host || c.host === undefined),
  );
}

/**
 * Remove this host's copies of workspaces that are placed on another host now (moved after a
 * loss, or while this host was away): container and config volume, with a note in the
 * workspace's event log (only the container, if the workspace was removed meanwhile). Run before the host takes any job: when it rejoins after a fence,
 * and when a worker starts (a lost host's worker may come back as a new process). Containers
 * of workspaces this installation does not know are orphans, the reconciler's business.
 */
export async function removeStaleCopies(deps: Omit<FenceDeps, 'workers'>): Promise<number> {
  const host = deps.config.host.name;
  let removed = 0;
  for (const c of await ownContainers(deps)) {
    if (c.host !== host) continue; // removal only of what this host itself made
    const row = await getWorkspace(deps.pool, c.workspaceId);
    if (!row || row.host === host) continue;
    await deps.docker.removeContainer(c.workspaceId);
    removed++;
    // a removed workspace's config volume is kept (unless purged): only its container goes
    if (row.status !== 'removed') {
      await deps.docker.removeVolume(c.workspaceId);
      await insertNote(deps.pool, {
        workspaceId: row.id,
        cause: `host rejoined: ${host}`,
        message: `removed the copy left on ${host} (container and config volume): the workspace is on ${row.host ?? 'no host'} now`,
      });
    }
  }
  if (removed > 0) deps.log.warn({ removed }, 'removed stale copies of workspaces placed elsewhere');
  return removed;
}
