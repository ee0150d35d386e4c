import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The worker's Prometheus metrics. */
export function makeWorkerMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    jobDuration: new Histogram({
      name: 'dockyard_job_duration_seconds',
      help: 'Lifecycle job execution time, by job and outcome',
      labelNames: ['job', 'outcome'],
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      registers: [registry],
    }),
    stepDuration: new Histogram({
      name: 'dockyard_step_duration_seconds',
      help: 'Lifecycle job step time, by job and step',
      labelNames: ['job', 'step'],
      buckets: [0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [registry],
    }),
    outcomes: new Counter({
      name: 'dockyard_job_outcomes_total',
      help: 'Job attempt outcomes: completed, retried, dead_lettered, superseded',
      labelNames: ['job', 'outcome'],
      registers: [registry],
    }),
    fencedWrites: new Counter({
      name: 'dockyard_fenced_writes_total',
      help: 'Status writes refused because a newer job holds the workspace',
      registers: [registry],
    }),
  };
}
export type WorkerMetrics = ReturnType<typeof makeWorkerMetrics>;
