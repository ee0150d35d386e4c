import type { MetricDef } from './job-metrics.ts';
import type { MetricsStore, Series } from './metrics-store.ts';

/** Escape a label value for the Prometheus text format. */
const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const num = (n: number) => (Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN');

function labelText(labels: Record<string, string>, extra?: [string, string]): string {
  const pairs = Object.entries(labels);
  if (extra) pairs.push(extra);
  if (pairs.length === 0) return '';
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

/** One metric family in the Prometheus text exposition format (0.0.4). */
export function renderMetric(def: MetricDef, series: Series[]): string {
  const lines = [`# HELP ${def.name} ${escapeHelp(def.help)}`, `# TYPE ${def.name} ${def.type}`];
  if (def.type === 'counter') {
    // an unlabelled counter always has its one series, so it reads 0 before the first event
    if (series.length === 0 && def.labelNames.length === 0) lines.push(`${def.name} 0`);
    for (const s of series) lines.push(`${def.name}${labelText(s.labels)} ${num(s.value)}`);
  } else {
    for (const s of series) {
      let cumulative = 0;
      def.buckets.forEach((le, i) => {
        cumulative += s.buckets[i] ?? 0;
        lines.push(`${def.name}_bucket${labelText(s.labels, ['le', String(le)])} ${cumulative}`);
      });
      lines.push(`${def.name}_bucket${labelText(s.labels, ['le', '+Inf'])} ${s.count}`); // count = every bucket, +Inf included
      lines.push(`${def.name}_sum${labelText(s.labels)} ${num(s.sum)}`);
      lines.push(`${def.name}_count${labelText(s.labels)} ${s.count}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Label values known at render time, by metric name (e.g. the registered hosts), beside a def's own `knownValues`. */
export type KnownLabelValues = Record<string, Readonly<Record<string, readonly string[]>>>;

/**
 * A counter's series, plus a 0 for every combination of its known label values that has not
 * counted yet (only when every one of its labels has known values).
 */
export function withKnownSeries(def: MetricDef, series: Series[], known: Readonly<Record<string, readonly string[]>> = {}): Series[] {
  if (def.type !== 'counter' || def.labelNames.length === 0) return series;
  const values = { ...def.knownValues, ...known };
  if (!def.labelNames.every((n) => values[n]?.length)) return series;
  let combos: Array<Record<string, string>> = [{}];
  for (const n of def.labelNames) combos = combos.flatMap((c) => values[n]!.map((v) => ({ ...c, [n]: v })));
  const keyOf = (labels: Record<string, string>) => JSON.stringify(def.labelNames.map((n) => labels[n] ?? ''));
  const present = new Set(series.map((s) => keyOf(s.labels)));
  const zeros = combos.filter((c) => !present.has(keyOf(c))).map((labels) => ({ labels, value: 0, sum: 0, count: 0, buckets: [] }));
  return [...series, ...zeros];
}

/** Read every given metric from the store and render them, in order. */
export async function renderStoredMetrics(store: MetricsStore, defs: readonly MetricDef[], known: KnownLabelValues = {}): Promise<string> {
  const parts = await Promise.all(defs.map(async (def) => renderMetric(def, withKnownSeries(def, await store.read(def), known[def.name]))));
  return parts.join('');
}
