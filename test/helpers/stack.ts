import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import Docker from 'dockerode';
import pg from 'pg';
import { pino } from 'pino';
import { deleteKeysUnder } from './redis-keys.ts';
import type { FastifyInstance } from 'fastify';
import { jobIdOf, makePool, makeQueues, makeRedisClient, makeSecretBox, producerRedisConnection, redisConnection, type LifecycleQueues, type Logger, type Queues } from '@dockyard/shared';
import { buildApp } from '../../apps/api/src/app.ts';
import { loadConfig as loadApiConfig } from '../../apps/api/src/config.ts';
import { loadConfig as loadWorkerConfig } from '../../apps/worker/src/config.ts';
import { startWorker } from '../../apps/worker/src/worker-app.ts';
import { FAST_TIMING, RUN_LABEL, newSecretsKey, testEnv } from './env.ts';

import { cloneTemplateDatabase } from './database.ts';
import { makeFixtureDir } from './fixtures.ts';
import { waitFor } from './wait.ts';
import { dockerFor, removeLabelled } from './docker.ts';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
const STACK_LABEL = 'dockyard.test-stack';


export interface Stack {
  id: string;
  /** this stack's installation id (its own database's) */
  installationId: string;
  url: string;
  token: string;
  env: Record<string, string>;
  templatesDir: string;
  runtimesFile: string;
  pool: pg.Pool;
  docker: Docker;
  /** the lifecycle queues of host `local` (the stack's default worker's host) */
  queues: LifecycleQueues & { deadLetter: Queues['deadLetter'] };
  logLines: string[];
  request(method: string, path: string, opts?: { body?: unknown; raw?: string; headers?: Record<string, string>; token?: string | null; timeoutMs?: number }): Promise<{ status: number; body: any; headers: Headers }>;
  create(runtime?: string, name?: string): Promise<any>;
  waitForStatus(id: string, status: string | string[], timeoutMs?: number): Promise<any>;
  redisGet(key: string): Promise<string | null>;
  /** wait until no job runs or waits for the workspace (a job frees it just after its last transition) */
  waitForIdle(id: string): Promise<void>;
  /** the workspace's events, oldest first */
  events(id: string): Promise<any[]>;
  /** wait until the job `jobId` wrote its final transition (to one of `to`); returns the workspace */
  waitForJob(id: string, jobId: string, to?: string | string[], timeoutMs?: number): Promise<any>;
  startWorker(extraEnv?: Record<string, string>): Promise<{ close(): Promise<void> }>;
  spawnWorker(extraEnv?: Record<string, string>): ChildProcess;
  close(): Promise<void>;
}

let dbCounter = 0;

/** A private database, queue prefix, fixtures and Docker label; the API on a free port; optional in-process worker. */
export async function startStack(
  opts: {
    worker?: boolean;
    env?: Record<string, string>;
    /** know host `local` from the start (default true); a fleet test registers its own hosts */
    localHost?: boolean;
    /** rewrite the stack's DATABASE_URL (API pool, workers), e.g. through a fault-injecting proxy; `stack.pool` stays direct */
    mapDatabaseUrl?: (url: string) => string;
  } = {},
): Promise<Stack> {
  const t = testEnv();
  const id = `${process.pid}${dbCounter++}${randomBytes(3).toString('hex')}`;
  const dbName = `dockyard_t_${t.runId}_${id}`;
  const { url: directDatabaseUrl, installationId } = await cloneTemplateDatabase(t, dbName, { localHost: opts.localHost ?? true });
  const fixtures = makeFixtureDir(t.image, `dyt-${id}`);
  const token = randomBytes(24).toString('hex');
  const env: Record<string, string> = {
    DATABASE_URL: opts.mapDatabaseUrl ? opts.mapDatabaseUrl(directDatabaseUrl) : directDatabaseUrl,
    REDIS_URL: t.redisUrl,
    DOCKER_HOST: t.dockerHost,
    QUEUE_PREFIX: `t${id}`,
    API_TOKEN: token,
    SECRETS_KEY: newSecretsKey(),
    RUNTIMES_FILE: fixtures.runtimesFile,
    TEMPLATES_DIR: fixtures.templatesDir,
    WORKSPACE_NETWORK: 'none',
    DOCKER_LABELS: `${RUN_LABEL}=${t.runId},${STACK_LABEL}=${id}`,
    LOG_LEVEL: 'debug',
    ...FAST_TIMING,
    ...opts.env,
  };

  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  const log = pino({ level: 'debug' }, sink) as unknown as Logger;

  const apiConfig = loadApiConfig(env);
  const apiPool = makePool(env.DATABASE_URL!, log);
  // the API's clients, wired as apps/api/src/main.ts wires them
  const apiQueues = makeQueues(producerRedisConnection(env.REDIS_URL!), env.QUEUE_PREFIX!);
  const redis = makeRedisClient(env.REDIS_URL!, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', (err) => log.debug({ err }, 'redis client error'));
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve)); // no offline queue: wait for it once
  const app: FastifyInstance = await buildApp({ config: apiConfig, pool: apiPool, queues: apiQueues, redis, log, timing: apiConfig.timing, secrets: makeSecretBox(apiConfig.secretKeys) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;

  const pool = makePool(directDatabaseUrl); // the test's own view of the database, never through a fault proxy
  const docker = dockerFor(t.dockerHost);
  const queueSet = makeQueues(redisConnection(env.REDIS_URL!), env.QUEUE_PREFIX!);
  const queues = { ...queueSet.of('local'), deadLetter: queueSet.deadLetter };
  // a Redis outage is a test scenario: connection errors go to the log, not the console
  for (const q of [apiQueues.deadLetter, ...Object.values(apiQueues.of('local')), ...Object.values(queues)]) {
    q.on('error', (err) => log.debug({ err }, 'queue connection error'));
  }
  const workers: Array<{ close(): Promise<void> }> = [];
  const children: ChildProcess[] = [];

  const stack: Stack = {
    id,
    installationId,
    url,
    token,
    env,
    templatesDir: fixtures.templatesDir,
    runtimesFile: fixtures.runtimesFile,
    pool,
    docker,
    queues,
    logLines,
    async request(method, path, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      if (o.token !== null) headers.authorization ??= `Bearer ${o.token ?? token}`;
      let body: string | undefined = o.raw;
      if (o.body !== undefined) {
        body = JSON.stringify(o.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(url + path, { method, headers, body, signal: o.timeoutMs ? AbortSignal.timeout(o.timeoutMs) : undefined });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async create(runtime = 'busybox', name = `ws-${runtime}`) {
      const res = await stack.request('POST', '/v1/workspaces', { body: { name, runtime } });
      if (res.status !== 202) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async waitForStatus(wsId, status, timeoutMs = 30_000) {
      const wanted = Array.isArray(status) ? status : [status];
      let last: unknown;
      return waitFor(
        `workspace ${wsId} to be ${wanted.join('|')}`,
        async () => {
          const res = await stack.request('GET', `/v1/workspaces/${wsId}`);
          last = res.body;
          if (wanted.includes(res.body.status)) return res.body;
          if (res.body.status === 'failed' && !wanted.includes('failed')) {
            throw new Error(`workspace failed: ${res.body.lastError}`);
          }
          return undefined;
        },
        { timeoutMs },
      ).catch((err) => {
        throw new Error(`${err.message}; last seen ${JSON.stringify(last)}`);
      });
    },
    redisGet: (key) => redis.get(key),
    async waitForIdle(wsId) {
      await waitFor(`workspace ${wsId} to be idle, its last job finished`, async () => {
        const { rows } = await pool.query('select running_job_id, queued_job_id, generation, host from workspaces where id = $1', [wsId]);
        const row = rows[0];
        if (!row || row.running_job_id !== null || row.queued_job_id !== null) return undefined;
        // the job that freed the slot still checks its container after the release (and may ask
        // for a crash restart) until BullMQ has it finished: a test acting on the container before
        // then races that check
        const jobId = jobIdOf(wsId, row.generation);
        for (const q of Object.values(queueSet.of(row.host ?? 'local'))) if (await (await q.getJob(jobId))?.isActive()) return undefined;
        return true;
      });
    },
    async events(wsId) {
      return (await stack.request('GET', `/v1/workspaces/${wsId}/events?limit=1000`)).body.items.reverse();
    },
    async waitForJob(wsId, jobId, to = ['online', 'paused', 'removed', 'failed'], timeoutMs = 30_000) {
      const wanted = Array.isArray(to) ? to : [to];
      await waitFor(
        `job ${jobId} to move workspace ${wsId} to ${wanted.join('|')}`,
        async () => {
          const res = await stack.request('GET', `/v1/workspaces/${wsId}/events?limit=20`);
          // events the job itself wrote carry its attempt number (the API's own rows do not)
          return res.body.items.some((e: any) => e.jobId === jobId && e.attempt !== null && wanted.includes(e.to)) || undefined;
        },
        { timeoutMs },
      );
      return (await stack.request('GET', `/v1/workspaces/${wsId}`)).body;
    },
    async startWorker(extraEnv = {}) {
      const w = await startWorker(loadWorkerConfig({ ...env, ...extraEnv }), log.child({ worker: workers.length }));
      workers.push(w);
      return w;
    },
    spawnWorker(extraEnv = {}) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'apps/worker/src/main.ts'], {
        cwd: REPO,
        env: { ...process.env, ...env, LOG_LEVEL: 'info', ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (d) => logLines.push(...String(d).split('\n').filter(Boolean)));
      child.stderr!.on('data', (d) => logLines.push(...String(d).split('\n').filter(Boolean)));
      children.push(child);
      return child;
    },
    async close() {
      const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
      for (const c of running) c.kill('SIGKILL');
      await Promise.all(running.map((c) => once(c, 'exit')));
      await Promise.all(workers.map((w) => w.close()));
      // nothing may leak: every job removes its volume helper container when it ends
      // (unless this close had to kill a worker process in the middle of one)
      const helpers = running.length ? [] : await docker.listContainers({ all: true, filters: { label: [`${STACK_LABEL}=${id}`, 'dockyard.role=volume-helper'] } });
      await app.close();
      await apiQueues.close();
      await queueSet.close();
      redis.disconnect();
      await apiPool.end();
      await pool.end();
      await removeLabelled(docker, `${STACK_LABEL}=${id}`);
      rmSync(fixtures.dir, { recursive: true, force: true });
      await deleteKeysUnder(env.REDIS_URL!, env.QUEUE_PREFIX!);
      if (helpers.length) throw new Error(`leaked volume helper containers: ${helpers.map((h) => h.Names[0]).join(', ')}`);
    },
  };
  if (opts.worker !== false) await stack.startWorker();
  return stack;
}
