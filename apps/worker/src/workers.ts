import { Worker } from 'bullmq';
import { ACTION_KINDS, queuePrefixOf, type ActionKind } from '@dockyard/shared';
import type { ConnectionOptions } from 'bullmq';
import type { JobData, JobResult, WorkerDeps } from './jobs/context.ts';
import { makeProcessor } from './jobs/processor.ts';

/** One BullMQ worker per lifecycle queue of the catalog, all sharing one processor. */
export function startLifecycleWorkers(deps: WorkerDeps, connection: ConnectionOptions): Array<Worker<JobData, JobResult, ActionKind>> {
  const processor = makeProcessor(deps);
  const { timing } = deps.config;
  const host = deps.config.host.name;
  const queues = deps.queues.of(host);
  // Pace restarts per host, across its workers, so a mass restart never floods its Docker daemon.
  void queues.restart
    .setGlobalConcurrency(timing.RESTART_CONCURRENCY)
    .then(() => queues.restart.setGlobalRateLimit(timing.RESTART_RATE_PER_SEC, 1000))
    .catch((err) => deps.log.warn({ err }, 'could not set the restart queue limits'));
  return ACTION_KINDS.map((kind) => {
    const worker = new Worker<JobData, JobResult, ActionKind>(queues[kind].name, processor, {
      connection,
      prefix: queuePrefixOf(deps.config.queuePrefix, queues[kind].name),
      concurrency: deps.config.concurrency,
      lockDuration: timing.JOB_LOCK_MS,
      stalledInterval: timing.STALLED_INTERVAL_MS,
      maxStalledCount: 2,
    });
    worker.on('error', (err) => deps.log.error({ err, queue: kind }, 'worker error'));
    worker.on('failed', (job, err) => deps.log.debug({ jobId: job?.id, err: err.message }, 'job attempt failed'));
    return worker;
  });
}
