// The Dockyard a bench run measures: its own database, queue prefix, fixtures and Docker label on
// the services scripts/bench.mjs started; the API and the worker as processes of their own.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, cpSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import pg from 'pg';
import { deleteKeysUnder } from '../test/helpers/redis-keys.ts';
import { dockerFor } from '../test/helpers/docker.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { REPO, appArgs, freePort, logTail, runNode, startNode, type Proc } from './procs.ts';

export const LABEL_KEY = 'dockyard.bench-run';
/** The processes' Postgres application_name (in their DATABASE_URL), so pg_stat_activity tells them apart. */
export const API_APP = 'dockyard-api';
export const WORKER_APP = 'dockyard-worker';
const named = (url: string, app: string) => {
  const u = new URL(url);
  u.searchParams.set('application_name', app);
  return u.toString();
};

export interface Bench {
  runId: string;
  url: string;
  token: string;
  image: string;
  /** the labels every Docker object of this run carries (Dockyard's and the direct baselines') */
  labels: Record<string, string>;
  pool: pg.Pool;
  docker: Docker;
  env: Record<string, string>;
  api?: Proc;
  worker?: Proc;
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Postgres's clock (workspace_events.at comes from it), in ms */
  serverNow(): Promise<number>;
  startApi(profileName?: string): Promise<void>;
  startWorker(profileName?: string): Promise<void>;
  close(): Promise<void>;
}

/** The runtime `busybox` of test/fixtures (the trap-sleep loop), alone in a manifest, and its templates. */
function writeFixtures(dir: string, image: string): { runtimesFile: string; templatesDir: string } {
  const fixtures = path.join(REPO, 'test', 'fixtures');
  const all = JSON.parse(readFileSync(path.join(fixtures, 'runtimes.json'), 'utf8').replaceAll('${IMAGE}', image));
  const runtimesFile = path.join(dir, 'runtimes.json');
  writeFileSync(runtimesFile, JSON.stringify({ runtimes: { busybox: all.runtimes.busybox } }, null, 2));
  const templatesDir = path.join(dir, 'templates');
  for (const t of ['busybox', 'busybox-default']) cpSync(path.join(fixtures, 'templates', t), path.join(templatesDir, t), { recursive: true });
  return { runtimesFile, templatesDir };
}

export async function startBench(): Promise<Bench> {
  const runId = process.env.BENCH_RUN_ID ?? `bench${randomBytes(4).toString('hex')}`;
  const image = process.env.DOCKYARD_BENCH_IMAGE ?? 'dockyard/runtime-busybox:1';
  const adminUrl = process.env.DATABASE_URL!;
  const dbName = `dockyard_bench_${runId}`;
  const dir = path.join(REPO, '.dockyard', 'bench', 'runs', runId);
  mkdirSync(dir, { recursive: true });
  const { runtimesFile, templatesDir } = writeFixtures(dir, image);

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  await admin.end();
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${dbName}`;

  const port = await freePort();
  const token = randomBytes(24).toString('hex');
  const labels = { [LABEL_KEY]: runId };
  const env: Record<string, string> = {
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL: process.env.REDIS_URL!,
    DOCKER_HOST: process.env.DOCKER_HOST!,
    QUEUE_PREFIX: runId,
    API_TOKEN: token,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    RUNTIMES_FILE: runtimesFile,
    TEMPLATES_DIR: templatesDir,
    WORKSPACE_NETWORK: 'none',
    DOCKER_LABELS: `${LABEL_KEY}=${runId}`,
    HOST: '127.0.0.1',
    PORT: String(port),
    RATE_LIMIT_PER_MINUTE: '0',
    // the burst's pacing (issue 11): 20 restarts at once, the rate limit out of the way; the
    // worker's own concurrency must allow 20 too (its default is 5 per queue)
    RESTART_CONCURRENCY: '20',
    RESTART_RATE_PER_SEC: '1000',
    WORKER_CONCURRENCY: '20',
    HOST_CAPACITY: '1000',
    LOG_PRETTY: 'false',
  };
  await runNode('migrate', appArgs('migrate'), env);

  const url = `http://127.0.0.1:${port}`;
  const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 4 });
  const docker = dockerFor(env.DOCKER_HOST!);
  const bench: Bench = {
    runId,
    url,
    token,
    image,
    labels,
    pool,
    docker,
    env,
    async request(method, p, body) {
      const res = await fetch(url + p, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    async serverNow() {
      const { rows } = await pool.query<{ now: Date }>('select clock_timestamp() as now');
      return rows[0]!.now.getTime();
    },
    async startApi(profileName = 'api') {
      await bench.api?.stop();
      const api = startNode('api', appArgs('api', profileName), { ...env, DATABASE_URL: named(env.DATABASE_URL!, API_APP) });
      bench.api = api;
      await waitFor('the API to answer /readyz', async () => {
        if (!api.running()) throw new Error(`the API exited: ${logTail('api')}`);
        return (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)) || undefined;
      }, { timeoutMs: 60_000, intervalMs: 100 });
    },
    async startWorker(profileName = 'worker') {
      await bench.worker?.stop();
      const worker = startNode('worker', appArgs('worker', profileName), { ...env, DATABASE_URL: named(env.DATABASE_URL!, WORKER_APP) });
      bench.worker = worker;
      await waitFor('host local to be ready', async () => {
        if (!worker.running()) throw new Error(`the worker exited: ${logTail('worker')}`);
        const { rows } = await pool.query(`select 1 from hosts where name = 'local' and state = 'ready' and last_heartbeat > now() - interval '5 s'`);
        return rows.length > 0 || undefined;
      }, { timeoutMs: 60_000, intervalMs: 200 });
    },
    async close() {
      await Promise.all([bench.api?.stop(), bench.worker?.stop(45_000)]);
      await removeLabelledParallel(docker, `${LABEL_KEY}=${runId}`);
      await pool.end();
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`drop database if exists ${dbName} with (force)`);
      await admin.end();
      await deleteKeysUnder(env.REDIS_URL!, runId);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return bench;
}

/** Remove the containers and volumes with this label, 8 at a time (the engine serialises much of it anyway). */
export async function removeLabelledParallel(docker: Docker, label: string): Promise<number> {
  const containers = await docker.listContainers({ all: true, filters: { label: [label] } });
  await inParallel(containers, 8, (c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined));
  const { Volumes } = await docker.listVolumes({ filters: { label: [label] } });
  await inParallel(Volumes ?? [], 8, (v) => docker.getVolume(v.Name).remove().catch(() => undefined));
  return containers.length;
}

/** Run fn over items with at most `width` at once. */
export async function inParallel<T>(items: T[], width: number, fn: (item: T, i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
}

/** Workspaces online with no job running or waiting. */
export async function countIdleOnline(pool: pg.Pool, ids: string[]): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `select count(*)::int as n from workspaces
      where id = any($1::uuid[]) and status = 'online' and running_job_id is null and queued_job_id is null`,
    [ids],
  );
  return rows[0]!.n;
}

/** Until every workspace is online and idle (polling Postgres, never the API: it is what is measured). */
export async function waitIdle(bench: Bench, ids: string[], what: string, timeoutMs = 180_000): Promise<void> {
  await waitFor(what, async () => (await countIdleOnline(bench.pool, ids)) === ids.length || undefined, { timeoutMs, intervalMs: 100 });
}

/** Create n busybox workspaces (10 requests at a time) and wait until all are online. */
export async function provision(bench: Bench, n: number): Promise<string[]> {
  const ids: string[] = [];
  await inParallel(Array.from({ length: n }, (_, i) => i), 10, async (i) => {
    const res = await bench.request('POST', '/v1/workspaces', { name: `bench-${i}`, runtime: 'busybox' });
    if (res.status !== 202) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
    ids.push(res.body.workspace.id);
  });
  await waitIdle(bench, ids, `${n} workspaces online`, 300_000);
  return ids;
}
