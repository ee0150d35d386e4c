import { Gauge, type Registry } from 'prom-client';
import { WORKSPACE_STATUSES, countWorkspacesByHost, listHosts, readWorkers, type HostWithUsage } from '@dockyard/shared';
import type { ApiDeps } from './deps.ts';
import { isHostUp } from './host-health.ts';

type OnFailure = (source: string) => (err: unknown) => void;

/**
 * The fleet's gauges, read from Postgres at scrape time: each registered host's capacity,
 * whether it is up, and its workspaces per status (every status of every host, zeros too,
 * so a series does not vanish when its last workspace leaves).
 */
export function registerHostGauges(registry: Registry, deps: Pick<ApiDeps, 'pool' | 'config' | 'redis'>, failed: OnFailure) {
  new Gauge({
    name: 'dockyard_host_workspaces',
    help: 'Workspaces placed on each host, by status (from Postgres)',
    labelNames: ['host', 'status'],
    registers: [registry],
    async collect() {
      const [hosts, counts] = await Promise.all([listHosts(deps.pool), countWorkspacesByHost(deps.pool)]).catch(failed('host workspaces')) ?? [];
      if (!hosts || !counts) return;
      this.reset();
      for (const { name } of hosts) for (const status of WORKSPACE_STATUSES) this.set({ host: name, status }, 0);
      for (const c of counts) this.set({ host: c.host, status: c.status }, c.n);
    },
  });

  /** A gauge with one series per registered host. */
  const perHost = (name: string, help: string, valueOf: (host: HostWithUsage, now: number) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['host'],
      registers: [registry],
      async collect() {
        const hosts = await listHosts(deps.pool).catch(failed(name));
        if (!hosts) return;
        this.reset();
        const now = Date.now();
        for (const h of hosts) this.set({ host: h.name }, valueOf(h, now));
      },
    });
  perHost(
    'dockyard_host_up',
    'Whether each host is up: 1 when it is not lost and its heartbeat is younger than HOST_LOST_AFTER_MS, else 0',
    (h, now) => (isHostUp(h, deps.config.timing.HOST_LOST_AFTER_MS, now) ? 1 : 0),
  );
  perHost('dockyard_host_capacity', 'How many workspaces each host takes (HOST_CAPACITY of its workers)', (h) => h.capacity);

  new Gauge({
    name: 'dockyard_workers',
    help: 'Worker processes that reported within three heartbeats, by host and state: alive, stuck (its job workers stopped taking jobs), fenced',
    labelNames: ['host', 'state'],
    registers: [registry],
    async collect() {
      const workers = await readWorkers(deps.redis, deps.config.queuePrefix, 3 * deps.config.timing.HOST_HEARTBEAT_MS).catch(failed('workers'));
      if (!workers) return;
      this.reset();
      for (const w of workers) this.inc({ host: w.host, state: w.state });
    },
  });
}
