import type { Queue } from 'bullmq';
import { ACTION_KINDS, listHosts } from '@dockyard/shared';
import type { ApiDeps } from './deps.ts';

export interface NamedQueue {
  name: string;
  /** the host whose workers consume it; undefined for the dead-letter queue */
  host?: string;
  queue: Queue;
}

/** The lifecycle queues of one host, by name. */
export const queuesOfHost = (deps: Pick<ApiDeps, 'queues'>, host: string): NamedQueue[] =>
  ACTION_KINDS.map((k) => ({ name: deps.queues.of(host)[k].name, host, queue: deps.queues.of(host)[k] }));

/** Every queue of the fleet: each registered host's lifecycle queues, then the dead-letter queue. */
export async function fleetQueues(deps: Pick<ApiDeps, 'queues' | 'pool'>): Promise<NamedQueue[]> {
  const hosts = new Set([...(await listHosts(deps.pool)).map((h) => h.name), ...deps.queues.hosts()]);
  return [
    ...[...hosts].sort().flatMap((host) => queuesOfHost(deps, host)),
    { name: deps.queues.deadLetter.name, queue: deps.queues.deadLetter },
  ];
}
