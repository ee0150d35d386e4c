import { makePool, makeQueues, redisConnection, type Logger } from '@dockyard/shared';
import type { WorkerConfig } from './config.ts';
import { makeDockerClient } from './docker/client.ts';
import { makeWorkspaceDocker } from './docker/workspace-docker.ts';
import { makeWorkerMetrics } from './metrics.ts';
import { startLifecycleWorkers } from './workers.ts';

/** Wire and start everything a worker process runs; `close()` stops it in reverse order. */
export function startWorker(config: WorkerConfig, log: Logger) {
  const pool = makePool(config.databaseUrl, log);
  const queues = makeQueues(redisConnection(config.redisUrl), config.queuePrefix);
  const docker = makeWorkspaceDocker(makeDockerClient(config.dockerHost, config.dockerTimeoutMs), {
    network: config.network,
    extraLabels: config.extraLabels,
  });
  const metrics = makeWorkerMetrics();
  const deps = { pool, docker, queues, config, log, metrics };
  const workers = startLifecycleWorkers(deps);
  log.info({ queues: workers.map((w) => w.name), concurrency: config.concurrency }, 'worker started');
  return {
    deps,
    workers,
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await queues.close();
      await pool.end();
    },
  };
}
