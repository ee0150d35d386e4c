import { ACTION_KINDS } from './catalog.ts';

/**
 * The metrics lifecycle jobs record. Workers write them into Redis (metrics-store.ts),
 * so every worker process on every machine adds to the same series; the API's
 * GET /metrics reads them back. One definition here serves both sides.
 *
 * Label names must survive a real Prometheus: never `job` or `instance`, which it sets on
 * every scraped series itself (a `job` label of ours would be renamed `exported_job`). The
 * job kind is `kind`.
 */
export interface CounterDef {
  type: 'counter';
  name: string;
  help: string;
  labelNames: readonly string[];
  /**
   * Label values known before any event: every combination of them is shown at 0 until it counts,
   * so rate() and increase() see the first event too (a series that appears at 1 looks to
   * Prometheus as if it had always been 1).
   */
  knownValues?: Readonly<Record<string, readonly string[]>>;
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

/** What a job attempt can end as (dockyard_job_outcomes_total's `outcome`). */
export const JOB_OUTCOMES = ['completed', 'retried', 'dead_lettered', 'superseded'] as const;
/** Where an automatic restart came from (dockyard_auto_restarts_total's `source`). */
export const AUTO_RESTART_SOURCES = ['docker-events', 'api-events', 'job', 'reconciler'] as const;
export type AutoRestartSource = (typeof AUTO_RESTART_SOURCES)[number];

export const jobMetricDefs = {
  jobDuration: {
    type: 'histogram',
    name: 'dockyard_job_duration_seconds',
    help: 'Lifecycle job execution time, by job kind and outcome',
    labelNames: ['kind', 'outcome'],
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
  },
  stepDuration: {
    type: 'histogram',
    name: 'dockyard_step_duration_seconds',
    help: 'Lifecycle job step time, by job kind and step',
    labelNames: ['kind', 'step'],
    buckets: [0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60],
  },
  outcomes: {
    type: 'counter',
    name: 'dockyard_job_outcomes_total',
    help: 'Job attempt outcomes, by job kind: completed, retried, dead_lettered, superseded',
    labelNames: ['kind', 'outcome'],
    knownValues: { kind: ACTION_KINDS, outcome: JOB_OUTCOMES },
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
    knownValues: { source: AUTO_RESTART_SOURCES },
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
    // the registered hosts: given at render time (GET /metrics reads them from Postgres)
  },
} as const satisfies Record<string, MetricDef>;

export type JobMetricName = keyof typeof jobMetricDefs;
