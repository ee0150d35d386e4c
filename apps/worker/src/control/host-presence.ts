import type pg from 'pg';
import { getInstallationId, heartbeatHost, messageOf, placeWaiting, registerHost, type Logger, type PlaceWaitingDeps } from '@dockyard/shared';
import type { WorkerConfig } from '../config.ts';

/**
 * Read the installation id and register this worker's host, waiting for Postgres (and its
 * migrations) as long as it takes: nothing may be created on Docker before both are known.
 */
export async function joinFleet(pool: pg.Pool, config: WorkerConfig, log: Logger): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      const installationId = await getInstallationId(pool);
      const host = await registerHost(pool, config.host);
      log.info({ host: host.name, state: host.state, capacity: host.capacity, labels: host.labels }, 'host registered');
      return installationId;
    } catch (err) {
      log.warn({ err: messageOf(err), attempt }, 'cannot read the installation or register the host in Postgres yet (is it up and migrated?); retrying');
      await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt, 5_000)));
    }
  }
}

/** Keep the host's heartbeat fresh while the worker runs; returns a stop function. */
export function keepHeartbeat(pool: pg.Pool, config: WorkerConfig, log: Logger): () => void {
  const timer = setInterval(() => {
    heartbeatHost(pool, config.host.name)
      .then(async (known) => {
        if (!known) await registerHost(pool, config.host); // the row was deleted: join again
      })
      .catch((err) => log.warn({ err: messageOf(err), host: config.host.name }, 'host heartbeat failed'));
  }, config.timing.HOST_HEARTBEAT_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** Place workspaces that wait for a host (this one may have room now); never throws. */
export async function placeWaitingNow(deps: PlaceWaitingDeps): Promise<void> {
  try {
    const placed = await placeWaiting(deps);
    if (placed > 0) deps.log.info({ placed }, 'placed workspaces that waited for a host');
  } catch (err) {
    deps.log.warn({ err: messageOf(err) }, 'placing waiting workspaces failed; the reconciler retries');
  }
}
