// What the API's and the worker's Postgres sessions are doing under load: pg_stat_activity sampled
// every 200 ms, by application_name (bench/stack.ts gives each process its own). Row-lock waits,
// WAL flushes and "idle in transaction" (the client holds a transaction open while it does
// something else, e.g. waits for its own event loop) tell apart where an intake's time goes.
import type pg from 'pg';

interface Row {
  app: string;
  state: string | null;
  wait: string | null;
}

/** Start sampling; stop() returns one line per application: mean sessions by state and wait. */
export function sampleActivity(pool: pg.Pool, apps: string[]): { stop(): Promise<string> } {
  const totals = new Map<string, Map<string, number>>();
  let samples = 0;
  let stopped = false;
  const once = async () => {
    const { rows } = await pool.query<Row>(
      `select application_name as app, state,
              case when wait_event_type is null then null else wait_event_type || ':' || wait_event end as wait
         from pg_stat_activity where datname = current_database() and application_name = any($1::text[])`,
      [apps],
    );
    samples++;
    for (const r of rows) {
      const kind = r.state === 'active' ? `active${r.wait ? ` waiting ${r.wait}` : ''}` : (r.state ?? 'unknown');
      const byKind = totals.get(r.app) ?? new Map<string, number>();
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
      totals.set(r.app, byKind);
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await once().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return apps
        .map((app) => {
          const byKind = [...(totals.get(app) ?? new Map<string, number>())].sort((a, b) => b[1] - a[1]);
          const parts = byKind.map(([k, n]) => `${k} ${(n / Math.max(1, samples)).toFixed(1)}`);
          return `${app}: ${parts.join(', ') || 'no sessions'}`;
        })
        .join('; ') + ` (mean sessions over ${samples} samples)`;
    },
  };
}
