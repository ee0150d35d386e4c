// Where a restart job's wall-clock time goes, from Dockyard's own histograms on GET /metrics
// (dockyard_step_duration_seconds, dockyard_job_duration_seconds): the mean of each step over the
// jobs that ran between two snapshots. A CPU profile cannot show this: the worker mostly waits.
import type { Bench } from './stack.ts';

export type Snapshot = Map<string, { sum: number; count: number }>;

const SERIES = /^dockyard_(step|job)_duration_seconds_(sum|count)\{([^}]*)\} (\S+)$/;

/** The restart job's step and job histograms (sum, count) as they are now. */
export async function snapshot(bench: Bench): Promise<Snapshot> {
  const res = await fetch(`${bench.url}/metrics`, { headers: { authorization: `Bearer ${bench.token}` }, signal: AbortSignal.timeout(10_000) });
  const out: Snapshot = new Map();
  for (const line of (await res.text()).split('\n')) {
    const m = SERIES.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[3]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (labels.kind !== 'restart') continue;
    const key = m[1] === 'step' ? labels.step! : `whole job (${labels.outcome})`;
    const entry = out.get(key) ?? { sum: 0, count: 0 };
    entry[m[2] as 'sum' | 'count'] = Number(m[4]);
    out.set(key, entry);
  }
  return out;
}

/** "step mean ms (n)" for every step (and the whole job) that ran between the snapshots. */
export function stepMeans(before: Snapshot, after: Snapshot): string {
  const parts: string[] = [];
  for (const [key, a] of after) {
    const b = before.get(key) ?? { sum: 0, count: 0 };
    const n = a.count - b.count;
    if (n > 0) parts.push(`${key} ${(((a.sum - b.sum) / n) * 1000).toFixed(0)} ms (${n})`);
  }
  return parts.join(', ') || '(no restart jobs recorded)';
}

const RUNTIME = /^nodejs_(gc_duration_seconds_(?:sum|count)\{kind="(\w+)"\}|eventloop_lag_(?:max|p99)_seconds) (\S+)$/;
/** GC pauses up to 10 ms, per kind (the histogram's bucket): the rest took longer */
const GC_SHORT = /^nodejs_gc_duration_seconds_bucket\{(?=[^}]*\ble="0\.01")[^}]*\bkind="(\w+)"[^}]*\} (\S+)$/;

/** The API's own GC time per kind and event-loop delay (prom-client's defaults on GET /metrics). */
export async function runtimeSnapshot(bench: Bench): Promise<Map<string, number>> {
  const res = await fetch(`${bench.url}/metrics`, { headers: { authorization: `Bearer ${bench.token}` }, signal: AbortSignal.timeout(10_000) });
  const out = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    const m = RUNTIME.exec(line);
    if (m) out.set(m[2] ? `${m[1]!.includes('_sum') ? 'sum' : 'count'} ${m[2]}` : m[1]!, Number(m[3]));
    const short = GC_SHORT.exec(line);
    if (short) out.set(`short ${short[1]}`, Number(short[2]));
  }
  return out;
}

/**
 * What the API's runtime did between two snapshots: collections per kind (count, total ms) and the
 * event loop's delay (prom-client resets its delay histogram on every read, so the later
 * snapshot's max and p99 cover the time since the earlier one).
 */
export function runtimeBetween(before: Map<string, number>, after: Map<string, number>): string {
  const gc: string[] = [];
  for (const kind of ['major', 'minor', 'incremental', 'weakcb']) {
    const n = (after.get(`count ${kind}`) ?? 0) - (before.get(`count ${kind}`) ?? 0);
    const ms = ((after.get(`sum ${kind}`) ?? 0) - (before.get(`sum ${kind}`) ?? 0)) * 1000;
    const long = n - ((after.get(`short ${kind}`) ?? 0) - (before.get(`short ${kind}`) ?? 0));
    if (n > 0) gc.push(`${kind} ${n} (${ms.toFixed(0)} ms; ${long} over 10 ms)`);
  }
  const lag = (k: string) => ((after.get(`eventloop_lag_${k}_seconds`) ?? 0) * 1000).toFixed(0);
  return `event loop delay max ${lag('max')} ms, p99 ${lag('p99')} ms; GC ${gc.join(', ') || 'none'}`;
}
