import { makeMetricsStore, makePool, makeQueues, makeRedisClient, makeSecretBox, redisConnection, type Logger } from '@dockyard/shared';
import type { WorkerConfig } from './config.ts';
import { makeDockerClient } from './docker/client.ts';
import { makeWorkspaceDocker } from './docker/workspace-docker.ts';
import { makeWorkerMetrics } from './metrics.ts';
import { startLifecycleWorkers } from './workers.ts';
import { runAsLeader } from './control/leader.ts';
import { watchContainerEvents } from './control/events-watcher.ts';
import { runReconciler } from './control/reconciler.ts';
import { joinFleet, keepHeartbeat, placeWaitingNow } from './control/host-presence.ts';
import { makeHostFence, removeStaleCopies } from './control/fencing.ts';
import { watchFleet } from './control/fleet-watch.ts';
import { startWorkerReports } from './control/worker-report.ts';
import { makeHeldWorkspaces } from './jobs/held.ts';

/** Wire and start everything a worker process runs for its host; `close()` stops it in reverse order. */
export async function startWorker(config: WorkerConfig, log: Logger) {
  const host = config.host.name;
  log = log.child({ host });
  const pool = makePool(config.databaseUrl, log);
  const installationId = await joinFleet(pool, config, log);
  // one BullMQ connection for the queues and workers of this process (a client on a Redis Cluster)
  const bull = redisConnection(config.redisUrl);
  const queues = makeQueues(bull, config.queuePrefix, (err) => log.warn({ err: err.message }, 'queue connection error'));
  const docker = makeWorkspaceDocker(makeDockerClient(config.dockerHost, config.dockerTimeoutMs), {
    network: config.network,
    localVolumeReads: config.localVolumeReads,
    extraLabels: config.extraLabels,
    installationId,
    hostName: host,
  });
  // one plain client for the metrics store and the leader locks (BullMQ keeps its own)
  const redis = makeRedisClient(config.redisUrl, { maxRetriesPerRequest: 2 });
  redis.on('error', (err) => log.debug({ err }, 'redis client error'));
  // the job metrics' increments are summed for a second and written in one pipeline (flushed on close)
  const metricsStore = makeMetricsStore(async () => redis, config.queuePrefix, 1000);
  const metrics = makeWorkerMetrics(metricsStore, (err) => log.warn({ err }, 'metrics write failed'));
  const deps = { pool, docker, queues, config, log, metrics, secrets: makeSecretBox(config.secretKeys), held: makeHeldWorkspaces() };
  // a lost host's worker may come back as a new process: its stale copies go before any job runs
  if (config.roles.includes('jobs')) await removeStaleCopies({ pool, docker, config, log, installationId }).catch((err) => log.warn({ err }, 'could not remove stale copies; the reconciler reports them'));
  const workers = config.roles.includes('jobs') ? startLifecycleWorkers(deps, bull) : [];
  const fence = makeHostFence({ pool, docker, config, log, installationId, workers });
  const stopHeartbeat = keepHeartbeat(pool, config, log, fence);
  const stopReports = startWorkerReports({ redis, config, workers, fence, log });

  const placement = {
    pool,
    queues,
    timing: config.timing,
    log,
    installationId,
    host,
    strategy: config.placement,
    hostLabelsOf: (runtime: string) => config.runtimes.runtimes[runtime]?.hostLabels,
  };
  await placeWaitingNow(placement);
  // the control loops of a host run in one of its worker processes at a time, whichever wins the Redis lock
  const leaders: Array<ReturnType<typeof runAsLeader>> = [];
  const lead = (key: string, task: (signal: AbortSignal) => Promise<void>) =>
    leaders.push(runAsLeader({ redis, key: `${config.queuePrefix}:leader:${key}`, ttlMs: config.timing.LEADER_TTL_MS, log, task }));
  if (config.roles.includes('watcher')) {
    const watcherDeps = { ...placement, docker, redis, metrics, held: deps.held, prefix: config.queuePrefix, log: log.child({ loop: 'watcher' }) };
    lead(`watcher:${host}`, (s) => watchContainerEvents(watcherDeps, s));
  }
  if (config.roles.includes('reconciler')) {
    const reconcilerDeps = { ...placement, redis, queuePrefix: config.queuePrefix, docker, metrics, removeOrphans: config.removeOrphans, adoptUnlabelled: config.adoptUnlabelled, log: log.child({ loop: 'reconciler' }) };
    lead(`reconciler:${host}`, (s) => runReconciler(reconcilerDeps, s));
    // one fleet watch in the whole installation, in any worker that reconciles
    lead('fleet', (s) => watchFleet({ ...placement, reschedule: config.rescheduleOnHostLoss, drainParallel: config.drainParallel, metrics, log: log.child({ loop: 'fleet' }) }, s));
  }
  let closing: Promise<void> | undefined;
  log.info({ installation: installationId, roles: config.roles, queues: workers.map((w) => w.name), concurrency: config.concurrency }, 'worker started');
  return {
    installationId,
    deps,
    workers,
    /** stop everything in reverse order; a second call waits for the first */
    close() {
      closing ??= (async () => {
        await Promise.all(leaders.map((l) => l.close()));
        await Promise.all(workers.map((w) => w.close()));
        stopHeartbeat();
        await stopReports();
        await metricsStore.flush().catch((err) => log.warn({ err }, 'metrics write failed'));
        redis.disconnect();
        await queues.close();
        await pool.end();
      })();
      return closing;
    },
  };
}
