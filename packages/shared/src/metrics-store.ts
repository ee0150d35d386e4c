import type { CounterDef, HistogramDef, MetricDef } from './job-metrics.ts';

/** The few Redis commands the store needs (an ioredis client satisfies it). */
export interface MetricsRedis {
  pipeline(): {
    hincrby(key: string, field: string, by: number): unknown;
    hincrbyfloat(key: string, field: string, by: number): unknown;
    /** each command's error or result, in order (ioredis resolves a pipeline whose commands failed) */
    exec(): Promise<Array<[Error | null, unknown]> | null>;
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
 * keeps `s|` and `b<i>|` fields (sum, and the count of bucket i; the last is +Inf) per label set.
 * Increments are summed in the process for `flushMs` and then written in one pipeline of
 * HINCRBY/HINCRBYFLOAT (atomic per field, safe for any number of writers): a worker's restart
 * observes a histogram per step, and a pipeline each cost it ~9 % of its CPU in a burst
 * (docs/BENCHMARKS.md, P2). Each call's promise settles with the write that carries it; a failed
 * write keeps its increments for the next one (a second later at the soonest). `flush()` writes
 * what waits (on shutdown).
 */
export function makeMetricsStore(redis: () => Promise<MetricsRedis>, prefix: string, flushMs = 0) {
  const keyOf = (def: MetricDef) => `${prefix}:metrics:${def.name}`;
  const labelKey = (def: MetricDef, labels: Labels = {}) =>
    JSON.stringify(def.labelNames.map((n) => String(labels[n] ?? '')));

  type Increment = { by: number; float: boolean };
  let pending = new Map<string, Map<string, Increment>>();
  let batch: { written: Promise<void>; settle(err?: unknown): void; timer: NodeJS.Timeout } | undefined;

  function add(key: string, field: string, by: number, float: boolean, delayMs = flushMs): Promise<void> {
    let fields = pending.get(key);
    if (!fields) pending.set(key, (fields = new Map()));
    const known = fields.get(field);
    if (known) known.by += by;
    else fields.set(field, { by, float });
    if (!batch) {
      let settle!: (err?: unknown) => void;
      const written = new Promise<void>((resolve, reject) => (settle = (err) => (err === undefined ? resolve() : reject(err))));
      const timer = setTimeout(() => void flush(), delayMs);
      timer.unref();
      batch = { written, settle, timer };
    }
    return batch.written;
  }

  async function flush(): Promise<void> {
    const current = batch;
    const increments = pending;
    if (!current) return;
    clearTimeout(current.timer);
    batch = undefined;
    pending = new Map();
    const written = [...increments].flatMap(([key, fields]) => [...fields].map(([field, i]) => ({ key, field, ...i })));
    // kept for the next write, a second later at the soonest; that write's own callers hear of its failure
    const keep = (i: (typeof written)[number]) => void add(i.key, i.field, i.by, i.float, Math.max(flushMs, 1000)).catch(() => undefined);
    try {
      const p = (await redis()).pipeline();
      for (const i of written) {
        if (i.float) p.hincrbyfloat(i.key, i.field, i.by);
        else p.hincrby(i.key, i.field, i.by);
      }
      const results = (await p.exec()) ?? written.map(() => [new Error('pipeline discarded'), null] as [Error, null]);
      const failed = written.filter((_, n) => results[n]?.[0]);
      failed.forEach(keep); // only what was not applied: an applied increment is never counted twice
      current.settle(failed.length ? results.find(([err]) => err)![0] : undefined);
    } catch (err) {
      written.forEach(keep);
      current.settle(err);
    }
  }

  return {
    inc(def: CounterDef, labels?: Labels, by = 1): Promise<void> {
      return add(keyOf(def), labelKey(def, labels), by, true);
    },

    observe(def: HistogramDef, labels: Labels, value: number): Promise<void> {
      const key = keyOf(def);
      const lk = labelKey(def, labels);
      const bucket = def.buckets.findIndex((le) => value <= le);
      add(key, `s|${lk}`, value, true).catch(() => undefined); // the same write as the bucket's: one promise reports it
      return add(key, `b${bucket < 0 ? def.buckets.length : bucket}|${lk}`, 1, false);
    },

    /** write every increment that waits, now */
    flush,

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
