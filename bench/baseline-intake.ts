// The intake baseline, a process of its own: the floor a restart request has to pay, one durable
// SQL statement (an UPDATE … RETURNING of the workspace's intent row, committed) and one BullMQ
// `add`, `inFlight` at once on a pool of `poolSize`, on the same Postgres and Redis as Dockyard.
// It writes only its own table and its own queue (under the run's prefix, removed with it).
import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { percentileOf, tailTimeline, watchOwnLoop } from './latencies.ts';

export interface BaselineInput {
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  ids: string[];
  ops: number;
  inFlight: number;
  poolSize: number;
}

export interface BaselineResult {
  ops: number;
  durationS: number;
  rps: number;
  p50: number;
  p99: number;
  /** when the slowest 1 % were answered (as bench/load.ts's `tail`) */
  tail: string;
  /** every operation's latency (ms) */
  latencies: number[];
  /** CPU seconds this process used for the measured operations (user + system) */
  cpuS: number;
  /** this process's event loop, late at worst during the measured operations (ms) */
  loopLateMs: number;
}

const input = JSON.parse(process.env.BENCH_INPUT ?? '{}') as BaselineInput;
const pool = new pg.Pool({ connectionString: input.databaseUrl, max: input.poolSize });
const redis = new Redis(input.redisUrl, { maxRetriesPerRequest: null });
const queue = new Queue('bench-baseline', { connection: redis, prefix: `${input.prefix}:{bench-baseline}` });

await pool.query(`create table if not exists bench_intents (
  workspace_id uuid primary key, generation int not null default 0, queued_job_id text, queued_action jsonb, updated_at timestamptz)`);
await pool.query('insert into bench_intents (workspace_id) select unnest($1::uuid[]) on conflict do nothing', [input.ids]);

let counter = 0;
async function intake(): Promise<void> {
  const id = input.ids[counter++ % input.ids.length]!;
  const action = JSON.stringify({ kind: 'restart', cause: 'api: restart', applyTemplate: false, auto: false });
  const { rows } = await pool.query<{ generation: number }>(
    `update bench_intents set generation = generation + 1, queued_job_id = $3::text || '.' || (generation + 1),
            queued_action = $2::jsonb, updated_at = now()
      where workspace_id = $1::uuid returning generation`,
    [id, action, id],
  );
  const generation = rows[0]!.generation;
  await queue.add('restart', { workspaceId: id, generation }, {
    jobId: `${id}.${generation}`,
    attempts: 5,
    backoff: { type: 'exponential', delay: 2000, jitter: 0.5 },
    removeOnComplete: { age: 7 * 24 * 3600, count: 5_000 },
    removeOnFail: { age: 14 * 24 * 3600, count: 5_000 },
  });
}

/** `n` intakes, `inFlight` at once; the latency of each. */
async function run(n: number): Promise<{ took: number[]; answers: Array<[number, number]>; seconds: number }> {
  const took: number[] = [];
  const answers: Array<[number, number]> = [];
  let started = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (started < n) {
      started++;
      const t = performance.now();
      await intake();
      const end = performance.now();
      took.push(end - t);
      answers.push([end - t0, end - t]);
    }
  };
  await Promise.all(Array.from({ length: input.inFlight }, lane));
  return { took, answers, seconds: (performance.now() - t0) / 1000 };
}

await run(Math.min(200, input.ops)); // warm-up: connections opened, statements planned
const cpuBefore = process.cpuUsage();
const stopWatch = watchOwnLoop();
const { took, answers, seconds } = await run(input.ops);
const loopLateMs = stopWatch();
const cpu = process.cpuUsage(cpuBefore);
const result: BaselineResult = {
  ops: took.length,
  durationS: seconds,
  rps: took.length / seconds,
  p50: percentileOf(took, 50),
  p99: percentileOf(took, 99),
  tail: tailTimeline(answers, seconds * 1000),
  latencies: took,
  cpuS: (cpu.user + cpu.system) / 1e6,
  loopLateMs,
};
await queue.close();
redis.disconnect();
await pool.end();
console.log(JSON.stringify(result));
