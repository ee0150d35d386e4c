import type pg from 'pg';
import { countOtherLiveHosts, getInstallationId, heartbeatHost, messageOf, placeWaiting, registerHost, type Logger, type PlaceWaitingDeps } from '@dockyard/shared';
import type { WorkerConfig } from '../config.ts';
import type { HostFence } from './fencing.ts';

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

/**
 * Keep the host's heartbeat fresh while the worker runs; returns a stop function. A worker
 * silent for HOST_FENCE_AFTER_MS fences itself, if the fleet had another live host to take
 * its workspaces (a lone host is never re-placed, so stopping it would only hurt); one that
 * reports again after a fence, or finds its host counted lost, cleans up and rejoins before
 * it takes a job.
 */
export function keepHeartbeat(pool: pg.Pool, config: WorkerConfig, log: Logger, fence: HostFence): () => void {
  let lastReport = Date.now();
  let otherHosts = 0;
  let busy = false;
  const beat = async () => {
    try {
      const state = await heartbeatHost(pool, config.host.name);
      lastReport = Date.now();
      otherHosts = await countOtherLiveHosts(pool, config.host.name);
      if (state === undefined) await registerHost(pool, config.host); // the row was deleted: join again
      else if (fence.fenced || state === 'lost') {
        if (!fence.fenced) await fence.fence(0); // counted lost while this worker still ran: stop first
        await fence.rejoin();
      }
    } catch (err) {
      const silentForMs = Date.now() - lastReport;
      log.warn({ err: messageOf(err), host: config.host.name, silentForMs }, 'host heartbeat failed');
      if (silentForMs >= config.timing.HOST_FENCE_AFTER_MS && otherHosts > 0) await fence.fence(silentForMs);
    }
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void beat().finally(() => (busy = false));
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
