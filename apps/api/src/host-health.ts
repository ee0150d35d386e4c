import type { HostRow } from '@dockyard/shared';

/**
 * A host counts as up while it is not `lost` and its last heartbeat is younger than
 * HOST_LOST_AFTER_MS: a host past that is about to be marked lost by the fleet watch.
 * (The heartbeat is Postgres' time, `now` this process's: a clock skew of a second or two
 * against the tens of seconds of HOST_LOST_AFTER_MS does not matter.)
 */
export function isHostUp(host: Pick<HostRow, 'state' | 'last_heartbeat'>, lostAfterMs: number, now = Date.now()): boolean {
  return host.state !== 'lost' && host.last_heartbeat !== null && now - host.last_heartbeat.getTime() < lostAfterMs;
}
