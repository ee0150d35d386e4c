import type { FastifyInstance } from 'fastify';
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import {
  ACTION_KINDS,
  DEAD_LETTER_QUEUE,
  WORKSPACE_STATUSES,
  catalog,
  countByStatus,
  countDeadLetters,
  getInstallationId,
  listHosts,
  listUnlabelled,
  jobMetricDefs,
  makeMetricsStore,
  renderStoredMetrics,
} from '@dockyard/shared';
import type { ApiDeps } from './deps.ts';
import { fleetQueues } from './fleet-queues.ts';
import { registerHostGauges } from './host-metrics.ts';
import { textAnswer } from './openapi-docs.ts';
import { errorResponses } from './schemas.ts';

const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'] as const;

/**
 * GET /metrics: this process's request latency and Node metrics (prom-client), the queue
 * depths, workspace counts and hosts (host-metrics.ts) read at scrape time, and the job metrics every worker
 * records in Redis (see shared/metrics-store.ts).
 */
export function registerMetrics(app: FastifyInstance, deps: ApiDeps) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const store = makeMetricsStore(async () => deps.redis, deps.config.queuePrefix);
  const failed = (source: string) => (err: unknown) => deps.log.warn({ err, source }, 'metrics collection failed');

  const requestDuration = new Histogram({
    name: 'dockyard_http_request_duration_seconds',
    help: 'API request latency, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  new Gauge({
    name: 'dockyard_queue_jobs',
    help: 'Jobs in each Dockyard queue (one per job kind and host, and the dead-letter queue), by state',
    labelNames: ['queue', 'host', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        const queues = await fleetQueues(deps);
        await Promise.all(
          queues.map(async ({ name, host, queue }) => {
            const counts = await queue.getJobCounts(...JOB_STATES);
            for (const state of JOB_STATES) this.set({ queue: name, host: host ?? '', state }, counts[state] ?? 0);
          }),
        );
      } catch (err) {
        failed('queues')(err);
      }
    },
  });

  new Gauge({
    name: 'dockyard_dead_letter_queue_size',
    help: 'Dead letters not yet replayed (jobs that failed for good), from Postgres',
    registers: [registry],
    async collect() {
      const pending = await countDeadLetters(deps.pool).catch(failed('dead letters'));
      if (pending !== undefined) this.set(pending);
    },
  });

  new Gauge({
    name: 'dockyard_workspaces',
    help: 'Workspaces by status (from Postgres)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const counts = await countByStatus(deps.pool).catch(failed('workspaces'));
      if (!counts) return;
      for (const status of WORKSPACE_STATUSES) this.set({ status }, counts[status] ?? 0);
    },
  });

  registerHostGauges(registry, deps, failed);

  new Gauge({
    name: 'dockyard_installation_info',
    help: 'This installation: always 1, labelled with its id (join on it when several installations share one Prometheus)',
    labelNames: ['installation'],
    registers: [registry],
    async collect() {
      const id = await getInstallationId(deps.pool).catch(failed('installation'));
      this.reset();
      if (id) this.set({ installation: id }, 1);
    },
  });

  new Gauge({
    name: 'dockyard_unlabelled_containers',
    help: 'Managed containers without an installation label that the reconciler reported, by whether they were adopted',
    labelNames: ['adopted'],
    registers: [registry],
    async collect() {
      const rows = await listUnlabelled(deps.pool).catch(failed('unlabelled objects'));
      if (!rows) return;
      const adopted = rows.filter((r) => r.adopted_at).length;
      this.set({ adopted: 'true' }, adopted);
      this.set({ adopted: 'false' }, rows.length - adopted);
    },
  });

  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    requestDuration.observe({ method: req.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });

  const metricsSchema = {
    tags: ['operations'],
    summary: 'Prometheus metrics (text format 0.0.4); see the README for what each means',
    // a source that does not answer leaves its metrics out (and is logged): never a 503
    response: { 200: textAnswer('text/plain', 'the metrics'), ...errorResponses({ method: 'GET', backends: false }) },
  };
  app.get('/metrics', { schema: metricsSchema }, async (_req, reply) => {
    const [own, jobs] = await Promise.all([
      registry.metrics(),
      // every registered host has its failover series, at 0 until its first loss
      listHosts(deps.pool)
        .catch(() => [])
        .then((hosts) => renderStoredMetrics(store, Object.values(jobMetricDefs), { [jobMetricDefs.hostFailovers.name]: { host: hosts.map((h) => h.name) } }))
        .catch((err) => {
          failed('job metrics')(err);
          return '';
        }),
    ]);
    return reply.header('content-type', registry.contentType).send(`${own}\n${jobs}`);
  });
}
