// P1 (one restart → online) and P2 (a burst of restarts, with P5's worker RSS), each next to the
// same Docker work done straight through dockerode, in the same run.
import type Docker from 'dockerode';
import { burstPlain, describeBurst, stopStart, type DirectBurst } from './docker-direct.ts';
import { jobTimeline } from './job-timeline.ts';
import { enginePids, measureCpu, servicePids } from './cpu.ts';
import { sampleRss } from './procs.ts';
import { sampleActivity } from './pg-activity.ts';
import { API_APP, WORKER_APP, waitIdle, type Bench } from './stack.ts';
import { snapshot, stepMeans } from './step-times.ts';
import { meanOf, medianOf, note, percentileOf, record } from './targets.ts';

const P1_RUNS = Number(process.env.BENCH_P1_RUNS ?? 15);
const BURST_WIDTH = 20;
const P2_ROUNDS = Number(process.env.BENCH_P2_ROUNDS ?? 3);

/** One operator restart: request accepted (the row's updatedAt in the 202) → that job's `online` event, both Postgres's clock. */
async function restartOnce(bench: Bench, id: string): Promise<number> {
  const res = await bench.request('POST', `/v1/workspaces/${id}/restart`, {});
  if (res.status !== 202) throw new Error(`restart answered ${res.status}: ${JSON.stringify(res.body)}`);
  const accepted = Date.parse(res.body.workspace.updatedAt);
  await waitIdle(bench, [id], `workspace ${id} online after its restart`, 60_000);
  const events = (await bench.request('GET', `/v1/workspaces/${id}/events?limit=50`)).body.items as Array<{ at: string; to: string; jobId: string | null; attempt: number | null }>;
  const online = events.find((e) => e.jobId === res.body.jobId && e.to === 'online' && e.attempt !== null);
  if (!online) throw new Error(`no online event of job ${res.body.jobId}`);
  return Date.parse(online.at) - accepted;
}

/** P1: restarts of one workspace, one at a time, interleaved with stop + start of one plain container. */
export async function benchRestart(bench: Bench, id: string, plain: Docker.Container): Promise<void> {
  await restartOnce(bench, id); // warm-up, not counted
  await stopStart(plain);
  const ours: number[] = [];
  const direct: number[] = [];
  const before = await snapshot(bench);
  for (let i = 0; i < P1_RUNS; i++) {
    ours.push(await restartOnce(bench, id));
    direct.push(await stopStart(plain));
  }
  note(`p1 restart → online (ms): ${ours.map((x) => x.toFixed(0)).join(' ')}; direct stop + start: ${direct.map((x) => x.toFixed(0)).join(' ')}`);
  note(`p1 restart job, mean per step: ${stepMeans(before, await snapshot(bench))}`);
  record('p1.median', `restart → online, median of ${P1_RUNS} (vs dockerode stop + start)`, medianOf(ours), medianOf(direct), 'ms', { kind: 'ratio-at-most', value: 1.15 });
  record('p1.p95', `restart → online, p95 of ${P1_RUNS}`, percentileOf(ours, 95), percentileOf(direct, 95), 'ms', { kind: 'ratio-at-most', value: 1.3 });
}

/** One burst of ours: every workspace restarted by one POST /v1/restarts, from just before the request to the last first `online` (Postgres's clock). */
async function burstOurs(bench: Bench, ids: string[], round: number): Promise<number> {
  await waitIdle(bench, ids, 'every workspace idle before the burst');
  const activity = round === 0 ? sampleActivity(bench.pool, [API_APP, WORKER_APP]) : undefined;
  const start = await bench.serverNow();
  const res = await bench.request('POST', '/v1/restarts', { ids });
  if (res.status !== 202 || res.body.count !== ids.length) throw new Error(`POST /v1/restarts answered ${res.status}: ${JSON.stringify(res.body)}`);
  await waitIdle(bench, ids, `the burst of ${ids.length} restarts`, 240_000);
  if (activity) note(`p2 Postgres sessions during the first burst: ${await activity.stop()}`);
  const { rows } = await bench.pool.query<{ at: Date; job_id: string }>(
    `select distinct on (workspace_id) at, job_id from workspace_events
      where workspace_id = any($1::uuid[]) and to_status = 'online' and attempt is not null and at > $2::timestamptz
      order by workspace_id, at`,
    [ids, new Date(start)],
  );
  if (rows.length !== ids.length) throw new Error(`only ${rows.length} of ${ids.length} workspaces came back online after the burst`);
  const end = Math.max(...rows.map((r) => r.at.getTime()));
  const rate = ids.length / ((end - start) / 1000);
  note(`p2 burst ${round + 1}: ${rate.toFixed(2)} restarts/s (${((end - start) / 1000).toFixed(1)} s); ${await jobTimeline(bench, rows.map((r) => r.job_id), BURST_WIDTH, start, end)}`);
  return rate;
}

/** Updates of the workspaces table so far, and how many were heap-only (Postgres's statistics, a little behind). */
async function rowUpdates(bench: Bench): Promise<{ upd: number; hot: number }> {
  await bench.pool.query('select pg_stat_force_next_flush()').catch(() => undefined);
  const { rows } = await bench.pool.query<{ upd: number; hot: number }>(
    "select n_tup_upd::int as upd, n_tup_hot_upd::int as hot from pg_stat_user_tables where relname = 'workspaces'",
  );
  return rows[0] ?? { upd: 0, hot: 0 };
}

/**
 * P2 + P5 (worker): BENCH_P2_ROUNDS bursts of ours, each between two direct bursts (direct, ours,
 * direct, ours, direct): the ratio is the mean of ours over the mean of the direct ones. The
 * engine's pace drifts over a run (±10 % between two direct bursts a minute apart: other work on
 * the machine, the engine's own state), so a burst of ours measured against one direct burst,
 * or one on each side, carried that drift into the ratio.
 */
export async function benchBurst(bench: Bench, ids: string[], plains: Docker.Container[]): Promise<void> {
  await waitIdle(bench, ids, 'every workspace idle before the burst');
  const plain = plains.slice(0, ids.length);
  // CPU per burst: is the engine slower under ours for want of CPU, or does it do more?
  const pids = { worker: bench.worker?.pid, api: bench.api?.pid, ...enginePids(bench.env.DOCKER_HOST!), ...servicePids(bench.env.REDIS_URL!) };
  const cpu: string[] = [];
  const measured = async <T>(what: string, burst: () => Promise<T>): Promise<T> => {
    const m = measureCpu(pids);
    const out = await burst();
    cpu.push(`${what}: ${m.stop().text}`);
    return out;
  };
  const direct: DirectBurst[] = [await measured('direct', () => burstPlain(plain, BURST_WIDTH))];
  const ours: number[] = [];
  const before = await snapshot(bench);
  const updates = await rowUpdates(bench);
  const rss = sampleRss(bench.worker!.pid);
  for (let round = 0; round < P2_ROUNDS; round++) {
    ours.push(await measured('ours', () => burstOurs(bench, ids, round)));
    direct.push(await measured('direct', () => burstPlain(plain, BURST_WIDTH)));
  }
  const workerPeak = rss.stop();
  note(`p2 direct, in order around ours: ${direct.map(describeBurst).join('; ')} (the baseline is their mean)`);
  note(`p2 CPU per burst, in order: ${cpu.join('; ')}`);
  const after = await rowUpdates(bench);
  note(`p2 workspaces row updates during the bursts: ${after.upd - updates.upd}, ${after.hot - updates.hot} of them HOT (no index touched)`);
  note(`p2 ours, per step (mean over the ${P2_ROUNDS * ids.length} restarts, ${BURST_WIDTH} at once): ${stepMeans(before, await snapshot(bench))}`);
  record('p2.burst', `burst of ${ids.length} restarts, ${BURST_WIDTH} at once, mean of ${P2_ROUNDS} (vs dockerode, ${BURST_WIDTH} at once, between them)`, meanOf(ours), meanOf(direct.map((d) => d.rate)), 'restarts/s', {
    kind: 'ratio-at-least',
    value: 0.9,
  });
  record('p5.worker-rss', 'worker RSS peak during the bursts', workerPeak, null, 'MB', { kind: 'at-most', value: 120 });
}
