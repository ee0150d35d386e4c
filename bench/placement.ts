// Placement at create with a big workspaces table: POST /v1/workspaces latency, sequential,
// with the table (nearly) empty and again with SEED rows in it.
import { performance } from 'node:perf_hooks';
import { listHosts } from '@dockyard/shared';
import { startStack } from '../test/helpers/stack.ts';
import { spawnApi, type ApiProcess } from './api-process.ts';
import { median, note, percentile, row } from './report.ts';

const HOSTS = ['host-1', 'host-2', 'host-3'];
const WARM_UP = 20;

async function timeCreates(api: ApiProcess, n: number, tag: string): Promise<number[]> {
  const took: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await api.request('POST', '/v1/workspaces', { name: `${tag}-${i}`, runtime: 'busybox' });
    took.push(performance.now() - t0);
    if (res.status !== 202 || !HOSTS.includes(res.body.workspace.host)) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return took;
}

/** Median time of the placement query alone (listHosts: every host with its count of workspaces). */
async function timeListHosts(pool: import('pg').Pool, n = 50): Promise<number> {
  const took: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await listHosts(pool);
    took.push(performance.now() - t0);
  }
  return median(took);
}

export async function benchPlacement(opts: { creates: number; seed: number }): Promise<void> {
  // No worker: placement is the API's alone. The three hosts are registered by direct SQL, as a
  // worker would (ready, capacity for everything, a heartbeat); nothing consumes the provision
  // jobs the creates enqueue, so no container is made, and stack.close() drops the queues.
  const stack = await startStack({ worker: false, localHost: false, env: { LOG_LEVEL: 'warn', PLACEMENT: 'spread' } });
  let api: ApiProcess | undefined;
  try {
    const capacity = Math.ceil((opts.seed + 2 * opts.creates + WARM_UP) / HOSTS.length) + 1;
    await stack.pool.query(`insert into hosts (name, capacity, last_heartbeat) select unnest($1::text[]), $2::int, now()`, [HOSTS, capacity]);
    api = await spawnApi(stack, { PLACEMENT: 'spread' });
    await timeCreates(api, WARM_UP, 'warm-up');

    const empty = await timeCreates(api, opts.creates, 'empty');
    const queryEmpty = await timeListHosts(stack.pool);

    // Seeding by direct SQL (cheap: one statement), spread evenly over the hosts, all online;
    // then VACUUM ANALYZE, as autovacuum would have done to a table that grew to this size.
    await stack.pool.query(
      `insert into workspaces (id, name, runtime, status, generation, host, running_since)
       select gen_random_uuid(), 'seed-' || i, 'busybox', 'online', 1, ($2::text[])[1 + i % cardinality($2::text[])], now()
         from generate_series(1, $1::int) as i`,
      [opts.seed, HOSTS],
    );
    await stack.pool.query('vacuum analyze workspaces');
    const full = await timeCreates(api, opts.creates, 'full');
    const queryFull = await timeListHosts(stack.pool);
    const { rows } = await stack.pool.query<{ n: number }>(`select count(*)::int as n from workspaces`);

    const label = `${opts.seed.toLocaleString('en')} workspaces`;
    row(`create (placement), p99 of ${opts.creates}, ${label}`, percentile(full, 99), percentile(empty, 99), 'ms');
    row(`create (placement), median of ${opts.creates}, ${label}`, median(full), median(empty), 'ms');
    note(`baseline: the same creates with the table empty; then ${rows[0]!.n} rows; client-side POST /v1/workspaces → 202, one at a time`);
    note(`the placement query alone (listHosts, median of 50): ${queryFull.toFixed(2)} ms at ${rows[0]!.n} rows, ${queryEmpty.toFixed(2)} ms near empty`);
  } finally {
    await api?.close();
    await stack.close();
  }
}
