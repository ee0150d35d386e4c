import { randomUUID } from 'node:crypto';
import type { Worker } from 'bullmq';
import { forgetWorker, messageOf, reportWorker, type AnyRedis, type Logger } from '@dockyard/shared';
import type { WorkerConfig } from '../config.ts';
import type { HostFence } from './fencing.ts';

/**
 * Report this process's health to Redis every HOST_HEARTBEAT_MS (see shared/worker-health.ts):
 * the API's /readyz and /metrics and the reconciler read it, so a worker whose BullMQ workers
 * stopped taking jobs is visible. Returns a stop function that also withdraws the report.
 */
export function startWorkerReports(o: {
  redis: AnyRedis;
  config: WorkerConfig;
  workers: Array<Pick<Worker, 'isRunning' | 'isPaused'>>;
  fence: Pick<HostFence, 'fenced'>;
  log: Logger;
}): () => Promise<void> {
  const id = randomUUID();
  const prefix = o.config.queuePrefix;
  const report = () =>
    reportWorker(o.redis, prefix, {
      id,
      host: o.config.host.name,
      pid: process.pid,
      roles: o.config.roles,
      running: o.workers.every((w) => w.isRunning() && !w.isPaused()),
      fenced: o.fence.fenced,
      at: Date.now(),
    }).catch((err) => o.log.debug({ err: messageOf(err) }, 'worker report failed'));
  void report();
  const timer = setInterval(() => void report(), o.config.timing.HOST_HEARTBEAT_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await forgetWorker(o.redis, prefix, id).catch(() => undefined);
  };
}
