/**
 * The metrics lifecycle jobs record. Workers write them into Redis (metrics-store.ts),
 * so every worker process on every machine adds to the same series; the API's
 * GET /metrics reads them back. One definition here serves both sides.
 */
export interface CounterDef {
  type: 'counter';
  name: string;
  help: string;
  labelNames: readonly string[];
}

export interface HistogramDef {
  type: 'histogram';
  name: string;
  help: string;
  labelNames: readonly string[];
  /** upper bounds in seconds, ascending; +Inf is implied */
  buckets: readonly number[];
}

export type MetricDef = CounterDef | HistogramDef;

export const jobMetricDefs = {
  jobDuration: {
    type: 'histogram',
    name: 'dockyard_job_duration_seconds',
    help: 'Lifecycle job execution time, by job and outcome',
    labelNames: ['job', 'outcome'],
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
  },
  stepDuration: {
    type: 'histogram',
    name: 'dockyard_step_duration_seconds',
    help: 'Lifecycle job step time, by job and step',
    labelNames: ['job', 'step'],
    buckets: [0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60],
  },
  outcomes: {
    type: 'counter',
    name: 'dockyard_job_outcomes_total',
    help: 'Job attempt outcomes: completed, retried, dead_lettered, superseded',
    labelNames: ['job', 'outcome'],
  },
  fencedWrites: {
    type: 'counter',
    name: 'dockyard_fenced_writes_total',
    help: 'Status writes refused because a newer job holds the workspace',
    labelNames: [],
  },
  autoRestarts: {
    type: 'counter',
    name: 'dockyard_auto_restarts_total',
    help: 'Restarts Dockyard scheduled on its own after a container died or lost liveness, by source of the signal',
    labelNames: ['source'],
  },
  crashLoopFailures: {
    type: 'counter',
    name: 'dockyard_crash_loop_failures_total',
    help: 'Workspaces marked failed because they kept crashing (crash-loop limit reached)',
    labelNames: [],
  },
  hostFailovers: {
    type: 'counter',
    name: 'dockyard_host_failovers_total',
    help: 'Hosts the fleet watch found lost (silent for longer than HOST_LOST_AFTER_MS) and evacuated, by host',
    labelNames: ['host'],
  },
} as const satisfies Record<string, MetricDef>;

export type JobMetricName = keyof typeof jobMetricDefs;
