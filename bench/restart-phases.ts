// P1 (one restart → online) and P2 (a burst of restarts, with P5's worker RSS), each next to the
// same Docker work done straight through dockerode, in the same run.
import type Docker from 'dockerode';
import { burstPlain, describeBurst, stopStart } from './docker-direct.ts';
import { jobTimeline } from './job-timeline.ts';
import { sampleRss } from './procs.ts';
import { sampleActivity } from './pg-activity.ts';
import { API_APP, WORKER_APP, waitIdle, type Bench } from './stack.ts';
import { snapshot, stepMeans } from './step-times.ts';
import { medianOf, note, percentileOf, record } from './targets.ts';

const P1_RUNS = Number(process.env.BENCH_P1_RUNS ?? 15);
const BURST_WIDTH = 20;

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

/**
 * P2 + P5 (worker): every workspace restarted by one POST /v1/restarts; restarts/s from the first
 * accept to the last `online`. The direct burst runs right before and right after it, and the
 * baseline is the mean of the two: the engine's pace can drift over a run (other work on the
 * machine, the engine's own state), and a baseline measured on one side only would carry it.
 */
export async function benchBurst(bench: Bench, ids: string[], plains: Docker.Container[]): Promise<void> {
  await waitIdle(bench, ids, 'every workspace idle before the burst');
  const directBefore = await burstPlain(plains.slice(0, ids.length), BURST_WIDTH);
  const before = await snapshot(bench);
  const rss = sampleRss(bench.worker!.pid);
  const activity = sampleActivity(bench.pool, [API_APP, WORKER_APP]);
  const start = await bench.serverNow();
  const res = await bench.request('POST', '/v1/restarts', { ids });
  if (res.status !== 202 || res.body.count !== ids.length) throw new Error(`POST /v1/restarts answered ${res.status}: ${JSON.stringify(res.body)}`);
  await waitIdle(bench, ids, `the burst of ${ids.length} restarts`, 240_000);
  const workerPeak = rss.stop();
  note(`p2 Postgres sessions during the burst: ${await activity.stop()}`);
  const { rows } = await bench.pool.query<{ at: Date; job_id: string }>(
    `select distinct on (workspace_id) at, job_id from workspace_events
      where workspace_id = any($1::uuid[]) and to_status = 'online' and attempt is not null and at > $2::timestamptz
      order by workspace_id, at`,
    [ids, new Date(start)],
  );
  if (rows.length !== ids.length) throw new Error(`only ${rows.length} of ${ids.length} workspaces came back online after the burst`);
  const end = Math.max(...rows.map((r) => r.at.getTime()));
  const ours = ids.length / ((end - start) / 1000);
  const directAfter = await burstPlain(plains.slice(0, ids.length), BURST_WIDTH);
  const direct = (directBefore.rate + directAfter.rate) / 2;
  note(`p2 direct: ${describeBurst(directBefore)} right before ours, ${describeBurst(directAfter)} right after (the baseline is their mean)`);
  note(`p2 jobs: ${await jobTimeline(bench, rows.map((r) => r.job_id), BURST_WIDTH, start, end)}`);
  note(`p2 burst: ${((end - start) / 1000).toFixed(1)} s for ${ids.length} restarts; per step (mean, ${BURST_WIDTH} at once): ${stepMeans(before, await snapshot(bench))}`);
  record('p2.burst', `burst of ${ids.length} restarts, ${BURST_WIDTH} at once (vs dockerode, ${BURST_WIDTH} at once)`, ours, direct, 'restarts/s', { kind: 'ratio-at-least', value: 0.9 });
  record('p5.worker-rss', 'worker RSS peak during the burst', workerPeak, null, 'MB', { kind: 'at-most', value: 120 });
}
