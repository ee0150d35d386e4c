// P3 (restart intake, with P5's API RSS), P4 (the event storm) and P6 (reading a workspace):
// autocannon at 50 connections from a process of its own, each next to its baseline process.
import type { BaselineInput, BaselineResult } from './baseline-intake.ts';
import type { LoadInput, LoadResult } from './load.ts';
import { measureCpu, servicePids } from './cpu.ts';
import { runHelper, sampleRss, startHelper } from './procs.ts';
import { sampleActivity } from './pg-activity.ts';
import { API_APP, WORKER_APP, countIdleOnline, waitIdle, type Bench } from './stack.ts';
import { note, record } from './targets.ts';
import { runtimeBetween, runtimeSnapshot } from './step-times.ts';
import { combineRounds } from './latencies.ts';

const CONNECTIONS = 50;
// 10,000 a side: a p99 over 3,000 was their 30th slowest, which one stall of the machine (every
// in-flight request at once) decided alone, on whichever side it fell
const P3_REQUESTS = Number(process.env.BENCH_P3_REQUESTS ?? 10_000);
const P3_ROUNDS = Number(process.env.BENCH_P3_ROUNDS ?? 10);
const P3_IDLE_REQUESTS = Number(process.env.BENCH_P3_IDLE_REQUESTS ?? 1500);
const P4_EVENTS = Number(process.env.BENCH_P4_EVENTS ?? 10_000);
const BASELINE_OPS = Number(process.env.BENCH_BASELINE_OPS ?? 3000);
const P6_SECONDS = Number(process.env.BENCH_P6_SECONDS ?? 8);
const SEQUENTIAL_REQUESTS = 500;
/** the baseline's own warm-up (bench/baseline-intake.ts): P3's load sends as many first, unmeasured */
const WARMUP = 200;

const restartTargets = (ids: string[]) => ids.map((id) => ({ path: `/v1/workspaces/${id}/restart`, body: '{}' }));

type Size = { amount?: number; durationS?: number; connections?: number; url?: string; warmup?: number };
function load(bench: Bench, method: LoadInput['method'], targets: LoadInput['targets'], { url = bench.url, connections = CONNECTIONS, ...size }: Size) {
  return runHelper<LoadResult>('load', { url, token: bench.token, method, targets, connections, ...size } satisfies LoadInput, 300_000);
}

/** The durable write + `add` floor, 50 (or `inFlight`) at once on a pool of 20, on Dockyard's own Postgres and Redis. */
function baseline(bench: Bench, ids: string[], inFlight = CONNECTIONS, ops = BASELINE_OPS) {
  const input: BaselineInput = { databaseUrl: bench.env.DATABASE_URL!, redisUrl: bench.env.REDIS_URL!, prefix: bench.runId, ids, ops, inFlight, poolSize: 20 };
  return runHelper<BaselineResult>('baseline-intake', input, 120_000);
}

function warnIfRefused(what: string, r: LoadResult): void {
  if (r.non2xx || r.errors) console.warn(`[bench] warning: ${what}: ${r.non2xx} answers not 2xx, ${r.errors} errors or timeouts of ${r.requests}`);
}

const say = (what: string, r: { rps: number; p50: number; p99: number; tail?: string }) =>
  note(`${what}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms${r.tail ? `; ${r.tail}` : ''}`);

/**
 * P3 + P5 (API): restart requests for every workspace, round robin, and the baseline, in
 * P3_ROUNDS alternating rounds (ours, baseline, ours, baseline …) while the restarts the requests
 * queued still run. The burst those restarts make is uneven (its starts and stops come in waves
 * that stall every process on this 2-core machine for up to ~0.4 s), so one run of each side
 * after the other compared different parts of it; in rounds both see all of it. Each side's rate
 * is its answers over its time, its percentiles over all its answers.
 */
export async function benchRestartIntake(bench: Bench, ids: string[]): Promise<void> {
  await waitIdle(bench, ids, 'every workspace idle before the intake');
  const rss = sampleRss(bench.api!.pid);
  const activity = sampleActivity(bench.pool, [API_APP, WORKER_APP]);
  const runtime = await runtimeSnapshot(bench);
  const pids = { api: bench.api?.pid, worker: bench.worker?.pid, ...servicePids(bench.env.REDIS_URL!) };
  const cpuOurs: string[] = [];
  const cpuBase: string[] = [];
  const ours: LoadResult[] = [];
  const base: BaselineResult[] = [];
  const busy: number[] = [];
  let apiCpuS = 0;
  for (let round = 0; round < P3_ROUNDS; round++) {
    let cpu = measureCpu(pids);
    ours.push(await load(bench, 'POST', restartTargets(ids), { amount: Math.round(P3_REQUESTS / P3_ROUNDS), warmup: WARMUP }));
    const used = cpu.stop();
    apiCpuS += used.seconds.api ?? 0;
    cpuOurs.push(used.text);
    warnIfRefused('p3', ours.at(-1)!);
    if (round === 0) note(`p3 Postgres sessions during the first round of ours: ${await activity.stop()}`);
    busy.push(ids.length - (await countIdleOnline(bench.pool, ids)));
    cpu = measureCpu(pids);
    base.push(await baseline(bench, ids, CONNECTIONS, Math.round(P3_REQUESTS / P3_ROUNDS)));
    cpuBase.push(cpu.stop().text);
  }
  const apiPeak = rss.stop();
  busy.push(ids.length - (await countIdleOnline(bench.pool, ids)));
  note(`p3 the API's runtime during the rounds: ${runtimeBetween(runtime, await runtimeSnapshot(bench))}`);
  note(`p3 CPU per round of ours (each after ${WARMUP} unmeasured requests): ${cpuOurs.join('; ')}`);
  note(`p3 CPU per round of the baseline: ${cpuBase.join('; ')}`);
  const baseCpuMs = (base.reduce((sum, r) => sum + r.cpuS, 0) / base.reduce((sum, r) => sum + r.ops, 0)) * 1000;
  const apiCpuMs = (apiCpuS / ours.reduce((sum, r) => sum + r.requests + WARMUP, 0)) * 1000;
  note(`p3 CPU an operation: the API ${apiCpuMs.toFixed(2)} ms a request (warm-ups included), the baseline process ${baseCpuMs.toFixed(2)} ms`);
  const o = combineRounds(ours);
  const b = combineRounds(base);
  say(`p3 ours, ${P3_ROUNDS} rounds`, o);
  say(`p3 baseline under load, ${P3_ROUNDS} rounds (workspaces with a restart running or waiting before each baseline round and after the last: ${busy.join(', ')})`, b);
  await waitIdle(bench, ids, "the intake's restarts to finish", 300_000);
  record('p3.intake', `POST …/restart intake, ${ids.length} workspaces, ${CONNECTIONS} connections (vs SQL + add in rounds between ours)`, o.rps, b.rps, 'req/s', { kind: 'ratio-at-least', value: 0.7 });
  record('p3.p99', 'restart intake p99 (vs the baseline p99, same rounds)', o.p99, b.p99, 'ms', { kind: 'ratio-at-most', value: 1.5 });
  record('p5.api-rss', 'API RSS peak during the restart intake', apiPeak, null, 'MB', { kind: 'at-most', value: 120 });
}

/** P4: P4_EVENTS `liveness.lost` events over every workspace; the baseline right after; then the restarts they caused, per workspace. */
export async function benchEventStorm(bench: Bench, ids: string[]): Promise<void> {
  await waitIdle(bench, ids, 'every workspace idle before the event storm');
  const start = await bench.serverNow();
  const targets = ids.map((workspaceId) => ({ path: '/v1/events', body: JSON.stringify({ type: 'liveness.lost', workspaceId }) }));
  const activity = sampleActivity(bench.pool, [API_APP, WORKER_APP]);
  const ours = await load(bench, 'POST', targets, { amount: P4_EVENTS });
  note(`p4 Postgres sessions during the storm: ${await activity.stop()}`);
  warnIfRefused('p4', ours);
  const base = await baseline(bench, ids);
  say('p4 ours', ours);
  say('p4 baseline', base);
  // a second restart may wait out the crash-loop backoff (CRASH_BACKOFF_BASE_MS, 10 s) first
  await waitIdle(bench, ids, "the event storm's restarts to finish", 300_000);
  const { rows } = await bench.pool.query<{ n: number }>(
    `select count(distinct job_id)::int as n from workspace_events
      where workspace_id = any($1::uuid[]) and to_status = 'online' and attempt is not null and at > $2::timestamptz
      group by workspace_id`,
    [ids, new Date(start)],
  );
  const counts = rows.map((r) => r.n);
  const total = counts.reduce((a, b) => a + b, 0);
  note(`p4 restarts executed: ${total} for ${ids.length} workspaces (max ${Math.max(0, ...counts)} per workspace; ${ids.length - rows.length} had none)`);
  record('p4.intake', `POST /v1/events intake, ${P4_EVENTS} events, ${ids.length} workspaces (vs SQL + add right after)`, ours.rps, base.rps, 'req/s', { kind: 'ratio-at-least', value: 0.7 });
  record('p4.restarts', 'restarts executed per workspace by the storm (max)', Math.max(0, ...counts), null, 'restarts', { kind: 'at-most', value: 2 });
}

/** P6: GET /v1/workspaces/:id, round robin, vs a bare Fastify process with the same token check and query. */
export async function benchRead(bench: Bench, ids: string[]): Promise<void> {
  await waitIdle(bench, ids, 'every workspace idle before the reads');
  const targets = ids.map((id) => ({ path: `/v1/workspaces/${id}` }));
  const ours = await load(bench, 'GET', targets, { durationS: P6_SECONDS });
  warnIfRefused('p6', ours);
  const bare = await startHelper<{ port: number }>('bare-api', { databaseUrl: bench.env.DATABASE_URL, token: bench.token });
  try {
    const theirs = await load(bench, 'GET', targets, { durationS: P6_SECONDS, url: `http://127.0.0.1:${bare.ready.port}` });
    warnIfRefused('p6 bare', theirs);
    say('p6 ours', ours);
    say('p6 bare Fastify', theirs);
    record('p6.get', `GET /v1/workspaces/:id, ${CONNECTIONS} connections (vs bare Fastify, same auth + query)`, ours.rps, theirs.rps, 'req/s', { kind: 'ratio-at-least', value: 0.5 });
    record('p6.p99', 'GET p99 (vs bare Fastify p99)', ours.p99, theirs.p99, 'ms', { kind: 'context' });
  } finally {
    await bare.proc.stop();
  }
}

/**
 * P3 with nothing else running: the worker is stopped first (its jobs wait in Redis; the run ends
 * after this). The latency target is read as one request at a time (at 50 connections even the
 * baseline's p99 is above 25 ms on 2 cores); the 50-connection intake is context.
 */
export async function benchIdleIntake(bench: Bench, ids: string[]): Promise<void> {
  await waitIdle(bench, ids, 'every workspace idle before the idle intake');
  await bench.worker?.stop(45_000);
  const base1 = await baseline(bench, ids, 1, SEQUENTIAL_REQUESTS);
  const ours1 = await load(bench, 'POST', restartTargets(ids), { amount: SEQUENTIAL_REQUESTS, connections: 1 });
  const base = await baseline(bench, ids);
  const activity = sampleActivity(bench.pool, [API_APP]);
  const cpu = measureCpu({ api: bench.api?.pid });
  const ours = await load(bench, 'POST', restartTargets(ids), { amount: P3_IDLE_REQUESTS });
  note(`p3 idle, CPU during the intake at ${CONNECTIONS} connections (${ours.requests} requests): ${cpu.stop().text}`);
  note(`p3 idle, Postgres sessions during the intake at ${CONNECTIONS} connections: ${await activity.stop()}`);
  warnIfRefused('p3 idle', ours);
  say('p3 idle ours, one at a time (worker stopped)', ours1);
  say('p3 idle baseline, one at a time', base1);
  say(`p3 idle ours, ${CONNECTIONS} connections (worker stopped)`, ours);
  say(`p3 idle baseline, ${CONNECTIONS} in flight`, base);
  record('p3.idle-p99', 'restart intake p99, one at a time, nothing else running (vs SQL + add, one at a time)', ours1.p99, base1.p99, 'ms', { kind: 'below', value: 25 });
  record('p3.idle-intake', `restart intake, ${CONNECTIONS} connections, nothing else running (vs SQL + add, idle)`, ours.rps, base.rps, 'req/s', { kind: 'context' });
  record('p3.idle-p99-50', `restart intake p99, ${CONNECTIONS} connections, nothing else running (vs SQL + add, idle)`, ours.p99, base.p99, 'ms', { kind: 'context' });
}
