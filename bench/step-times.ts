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
