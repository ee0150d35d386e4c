import { evacuateHost, listHosts, markLostHosts, messageOf, type PlaceWaitingDeps } from '@dockyard/shared';
import { sleep } from './leader.ts';
import { placeWaitingNow } from './host-presence.ts';

export interface FleetWatchDeps extends PlaceWaitingDeps {
  /** RESCHEDULE_ON_HOST_LOSS: re-place a lost host's workspaces on other hosts */
  reschedule: boolean;
}

/**
 * The fleet's leader loop (one process in the whole installation): a host silent for longer
 * than HOST_LOST_AFTER_MS is `lost`, and its workspaces are evacuated (re-placed elsewhere,
 * or left offline). Its own workers fenced themselves before that (HOST_FENCE_AFTER_MS).
 */
export async function watchFleet(deps: FleetWatchDeps, signal: AbortSignal): Promise<void> {
  deps.log.info({ lostAfterMs: deps.timing.HOST_LOST_AFTER_MS, reschedule: deps.reschedule }, 'fleet watch started');
  // Only a watch that itself reached Postgres for a whole HOST_LOST_AFTER_MS may judge others
  // silent: after an outage of its own (or of Postgres for everyone) every heartbeat looks old.
  let healthySince: number | undefined;
  while (!signal.aborted) {
    try {
      await listHosts(deps.pool); // every pass reaches Postgres, so an outage resets the window
      healthySince ??= Date.now();
      const judged = Date.now() - healthySince >= deps.timing.HOST_LOST_AFTER_MS;
      for (const host of judged ? await markLostHosts(deps.pool, deps.timing.HOST_LOST_AFTER_MS) : []) {
        deps.log.error({ lostHost: host, silentForMs: deps.timing.HOST_LOST_AFTER_MS }, 'host lost: its workers stopped reporting');
        const report = await evacuateHost(deps, host, deps.reschedule);
        deps.log.warn(report, 'lost host evacuated');
        await placeWaitingNow(deps);
      }
    } catch (err) {
      healthySince = undefined;
      deps.log.warn({ err: messageOf(err) }, 'fleet watch pass failed');
    }
    await sleep(deps.timing.HOST_HEARTBEAT_MS, signal);
  }
  deps.log.info('fleet watch stopped');
}
