import type { CounterDef, HistogramDef, MetricDef } from './job-metrics.ts';

/** The few Redis commands the store needs (an ioredis client satisfies it). */
export interface MetricsRedis {
  pipeline(): {
    hincrby(key: string, field: string, by: number): unknown;
    hincrbyfloat(key: string, field: string, by: number): unknown;
    exec(): Promise<unknown>;
  };
  hgetall(key: string): Promise<Record<string, string>>;
}

export type Labels = Record<string, string | number>;

/** One labelled series read back from Redis. Histogram bucket counts are per bucket (not cumulative), +Inf last. */
export interface Series {
  labels: Record<string, string>;
  value: number;
  sum: number;
  count: number;
  buckets: number[];
}

/**
 * Cluster-wide counters and histograms in Redis, one hash per metric under the queue
 * prefix (`<prefix>:metrics:<name>`). A counter is a field per label set; a histogram
 * keeps `s|` and `b<i>|` fields (sum, and the count of bucket i; the last is +Inf) per label set. Each
 * observation is one pipeline of HINCRBY/HINCRBYFLOAT: cheap, atomic per field,
 * and safe for any number of writers.
 */
export function makeMetricsStore(redis: () => Promise<MetricsRedis>, prefix: string) {
  const keyOf = (def: MetricDef) => `${prefix}:metrics:${def.name}`;
  const labelKey = (def: MetricDef, labels: Labels = {}) =>
    JSON.stringify(def.labelNames.map((n) => String(labels[n] ?? '')));

  return {
    async inc(def: CounterDef, labels?: Labels, by = 1): Promise<void> {
      const client = await redis();
      const p = client.pipeline();
      p.hincrbyfloat(keyOf(def), labelKey(def, labels), by);
      await p.exec();
    },

    async observe(def: HistogramDef, labels: Labels, value: number): Promise<void> {
      const client = await redis();
      const key = keyOf(def);
      const lk = labelKey(def, labels);
      const bucket = def.buckets.findIndex((le) => value <= le);
      const p = client.pipeline();
      p.hincrbyfloat(key, `s|${lk}`, value);
      p.hincrby(key, `b${bucket < 0 ? def.buckets.length : bucket}|${lk}`, 1);
      await p.exec();
    },

    /** Every series of a metric, as stored. */
    async read(def: MetricDef): Promise<Series[]> {
      const hash = await (await redis()).hgetall(keyOf(def));
      const byLabels = new Map<string, Series>();
      const seriesOf = (lk: string) => {
        let s = byLabels.get(lk);
        if (!s) {
          const values = parseLabelKey(lk);
          const labels = Object.fromEntries(def.labelNames.map((n, i) => [n, values[i] ?? '']));
          const width = def.type === 'histogram' ? def.buckets.length + 1 : 0;
          s = { labels, value: 0, sum: 0, count: 0, buckets: new Array<number>(width).fill(0) };
          byLabels.set(lk, s);
        }
        return s;
      };
      for (const [field, raw] of Object.entries(hash)) {
        const n = Number(raw);
        if (def.type === 'counter') {
          seriesOf(field).value = n;
          continue;
        }
        const bar = field.indexOf('|');
        if (bar < 0) continue;
        const part = field.slice(0, bar);
        const s = seriesOf(field.slice(bar + 1));
        if (part === 's') s.sum = n;
        else if (part.startsWith('b')) {
          const i = Number(part.slice(1));
          if (Number.isInteger(i) && i >= 0 && i < s.buckets.length) s.buckets[i] = n;
        }
      }
      for (const s of byLabels.values()) s.count = s.buckets.reduce((a, b) => a + b, 0);
      return [...byLabels.values()];
    },
  };
}
export type MetricsStore = ReturnType<typeof makeMetricsStore>;

function parseLabelKey(lk: string): string[] {
  try {
    const v: unknown = JSON.parse(lk);
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
}
