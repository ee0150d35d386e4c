import { getInstallationId, makeMetricsStore, makePool, makeQueues, messageOf, redisConnection, type Logger } from '@dockyard/shared';
import type pg from 'pg';
import type { WorkerConfig } from './config.ts';
import { makeDockerClient } from './docker/client.ts';
import { makeWorkspaceDocker } from './docker/workspace-docker.ts';
import { makeWorkerMetrics } from './metrics.ts';
import { startLifecycleWorkers } from './workers.ts';
import { Redis } from 'ioredis';
import { runAsLeader } from './control/leader.ts';
import { watchContainerEvents } from './control/events-watcher.ts';
import { runReconciler } from './control/reconciler.ts';

/** Read the installation id, waiting for Postgres (and its migrations) as long as it takes. */
async function waitForInstallationId(pool: pg.Pool, log: Logger): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await getInstallationId(pool);
    } catch (err) {
      log.warn({ err: messageOf(err), attempt }, 'cannot read the installation id from Postgres yet (is it up and migrated?); retrying');
      await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt, 5_000)));
    }
  }
}

/** Wire and start everything a worker process runs; `close()` stops it in reverse order. */
export async function startWorker(config: WorkerConfig, log: Logger) {
  const pool = makePool(config.databaseUrl, log);
  const installationId = await waitForInstallationId(pool, log);
  const queues = makeQueues(redisConnection(config.redisUrl), config.queuePrefix, (err) => log.warn({ err: err.message }, 'queue connection error'));
  const docker = makeWorkspaceDocker(makeDockerClient(config.dockerHost, config.dockerTimeoutMs), {
    network: config.network,
    extraLabels: config.extraLabels,
    installationId,
  });
  // one plain client for the metrics store and the leader locks (BullMQ keeps its own)
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
  redis.on('error', (err) => log.debug({ err }, 'redis client error'));
  const metrics = makeWorkerMetrics(makeMetricsStore(async () => redis, config.queuePrefix), (err) => log.warn({ err }, 'metrics write failed'));
  const deps = { pool, docker, queues, config, log, metrics };
  const workers = config.roles.includes('jobs') ? startLifecycleWorkers(deps) : [];
  // the control loops run in one process at a time, whichever wins the Redis lock
  const actions = { pool, queues, timing: config.timing, log, installationId };
  const leaders: Array<ReturnType<typeof runAsLeader>> = [];
  if (config.roles.includes('watcher')) {
    const watcherDeps = { ...actions, docker, redis, metrics, prefix: config.queuePrefix, log: log.child({ loop: 'watcher' }) };
    leaders.push(runAsLeader({ redis, key: `${config.queuePrefix}:leader:watcher`, ttlMs: config.timing.LEADER_TTL_MS, log, task: (s) => watchContainerEvents(watcherDeps, s) }));
  }
  if (config.roles.includes('reconciler')) {
    const reconcilerDeps = { ...actions, docker, metrics, removeOrphans: config.removeOrphans, adoptUnlabelled: config.adoptUnlabelled, log: log.child({ loop: 'reconciler' }) };
    leaders.push(runAsLeader({ redis, key: `${config.queuePrefix}:leader:reconciler`, ttlMs: config.timing.LEADER_TTL_MS, log, task: (s) => runReconciler(reconcilerDeps, s) }));
  }
  log.info({ installation: installationId, roles: config.roles, queues: workers.map((w) => w.name), concurrency: config.concurrency }, 'worker started');
  return {
    installationId,
    deps,
    workers,
    async close() {
      await Promise.all(leaders.map((l) => l.close()));
      await Promise.all(workers.map((w) => w.close()));
      redis.disconnect();
      await queues.close();
      await pool.end();
    },
  };
}
