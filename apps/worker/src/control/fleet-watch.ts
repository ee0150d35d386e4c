import { drainProgress, evacuateHost, listHosts, markLostHosts, requestAction, setHostState, messageOf, type HostWithUsage, type PlaceWaitingDeps } from '@dockyard/shared';
import { sleep } from './leader.ts';
import { placeWaitingNow } from './host-presence.ts';
import type { WorkerMetrics } from '../metrics.ts';

export interface FleetWatchDeps extends PlaceWaitingDeps {
  /** RESCHEDULE_ON_HOST_LOSS: re-place a lost host's workspaces on other hosts */
  reschedule: boolean;
  metrics: Pick<WorkerMetrics, 'hostFailovers'>;
  /** DRAIN_PARALLEL: how many workspaces of a draining host move at once */
  drainParallel: number;
}

/**
 * Drain: move a draining host's workspaces off it, DRAIN_PARALLEL at a time (each a `move`
 * job on that host: stop, copy the config volume out, remove, re-place); once it holds none,
 * the host is `cordoned`.
 */
async function drainHosts(deps: FleetWatchDeps, hosts: HostWithUsage[]): Promise<void> {
  for (const host of hosts.filter((h) => h.state === 'draining')) {
    const progress = await drainProgress(deps.pool, host.name, deps.drainParallel);
    if (progress.left === 0) {
      await setHostState(deps.pool, host.name, 'cordoned');
      deps.log.info({ drainedHost: host.name }, 'host drained: it holds no workspace; cordoned');
      continue;
    }
    for (const id of progress.next.slice(0, Math.max(0, deps.drainParallel - progress.moving))) {
      await requestAction(deps, id, { kind: 'move', cause: `drain: ${host.name}` });
    }
  }
}

/**
 * The fleet's leader loop (one process in the whole installation): a host silent for longer
 * than HOST_LOST_AFTER_MS is `lost`, and its workspaces are evacuated (re-placed elsewhere,
 * or left offline); its own workers fenced themselves before that (HOST_FENCE_AFTER_MS).
 * Draining hosts are emptied, a few workspaces at a time.
 */
export async function watchFleet(deps: FleetWatchDeps, signal: AbortSignal): Promise<void> {
  deps.log.info({ lostAfterMs: deps.timing.HOST_LOST_AFTER_MS, reschedule: deps.reschedule }, 'fleet watch started');
  // Only a watch that has reached Postgres for a while may judge others silent: after an outage
  // of its own (or of Postgres for everyone) every heartbeat looks old until the live hosts have
  // reported again — within two heartbeats plus a connection timeout. (Not a whole
  // HOST_LOST_AFTER_MS: a new leader, after the old one died with its host, would add that.)
  const settleMs = Math.min(deps.timing.HOST_LOST_AFTER_MS, 2 * deps.timing.HOST_HEARTBEAT_MS + 2_000);
  let healthySince: number | undefined;
  while (!signal.aborted) {
    try {
      const hosts = await listHosts(deps.pool); // every pass reaches Postgres, so an outage resets the window
      healthySince ??= Date.now();
      const judged = Date.now() - healthySince >= settleMs;
      const newlyLost = judged ? await markLostHosts(deps.pool, deps.timing.HOST_LOST_AFTER_MS) : [];
      for (const host of newlyLost) {
        deps.log.error({ lostHost: host, silentForMs: deps.timing.HOST_LOST_AFTER_MS }, 'host lost: its workers stopped reporting');
        deps.metrics.hostFailovers.inc({ host });
      }
      // Evacuate newly lost hosts, and (when re-placing) any lost host still holding workspaces:
      // an evacuation cut short by an error is finished on a later pass.
      const stillHolding = deps.reschedule ? hosts.filter((h) => h.state === 'lost' && h.used > 0).map((h) => h.name) : [];
      for (const host of new Set([...newlyLost, ...stillHolding])) {
        const report = await evacuateHost(deps, host, deps.reschedule);
        deps.log.warn(report, 'lost host evacuated');
        await placeWaitingNow(deps);
      }
      await drainHosts(deps, hosts); // the pass's own reading of the hosts table
    } catch (err) {
      healthySince = undefined;
      deps.log.warn({ err: messageOf(err) }, 'fleet watch pass failed');
    }
    await sleep(deps.timing.HOST_HEARTBEAT_MS, signal);
  }
  deps.log.info('fleet watch stopped');
}
