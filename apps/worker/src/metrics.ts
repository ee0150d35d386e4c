import {
  jobMetricDefs,
  type AutoRestartResult,
  type AutoRestartSource,
  type CounterDef,
  type HistogramDef,
  type Labels,
  type MetricsStore,
} from '@dockyard/shared';

type OnError = (err: unknown) => void;

/**
 * The job's kind as the job code names it (`job`: the BullMQ job's name) becomes the label `kind`:
 * Prometheus keeps `job` (and `instance`) for itself and would rename ours `exported_job`.
 */
const kindLabel = ({ job, ...rest }: Labels & { job?: string }): Labels => (job === undefined ? rest : { kind: job, ...rest });

/** A counter whose increments go to the cluster-wide store; never throws, never blocks the job. */
function counter(store: MetricsStore, def: CounterDef, onError: OnError) {
  return { inc: (labels?: Labels & { job?: string }, by = 1) => void store.inc(def, labels && kindLabel(labels), by).catch(onError) };
}

function histogram(store: MetricsStore, def: HistogramDef, onError: OnError) {
  return { observe: (labels: Labels & { job: string }, seconds: number) => void store.observe(def, kindLabel(labels), seconds).catch(onError) };
}

/**
 * The worker's metrics. They are recorded in Redis (the store sums them for a moment and writes
 * them in one pipeline) rather than in this process, so the API's GET /metrics shows the sum over
 * every worker.
 * A failed write is reported to `onError` and otherwise ignored: metrics never fail a job.
 */
export function makeWorkerMetrics(store: MetricsStore, onError: OnError = () => undefined) {
  const d = jobMetricDefs;
  return {
    jobDuration: histogram(store, d.jobDuration, onError),
    stepDuration: histogram(store, d.stepDuration, onError),
    outcomes: counter(store, d.outcomes, onError),
    fencedWrites: counter(store, d.fencedWrites, onError),
    autoRestarts: counter(store, d.autoRestarts, onError),
    crashLoopFailures: counter(store, d.crashLoopFailures, onError),
    hostFailovers: counter(store, d.hostFailovers, onError),
  };
}
export type WorkerMetrics = ReturnType<typeof makeWorkerMetrics>;

/** Count what an auto-restart request led to; true when it queued a new restart. */
export function countAutoRestart(metrics: WorkerMetrics, result: AutoRestartResult, source: AutoRestartSource): boolean {
  if (result.kind === 'crash-loop') metrics.crashLoopFailures.inc();
  const queued = result.kind === 'accepted' && !result.coalesced;
  if (queued) metrics.autoRestarts.inc({ source });
  return queued;
}
