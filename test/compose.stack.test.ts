// docker-compose.yml up for real: the image built from docker/app/Dockerfile, the stack brought up
// by Compose v2 on an engine of the test's own, a workspace provisioned and restarted through the
// composed API, Redis and Postgres restarted without losing anything, all torn down by label.
// Nothing can be pulled here: postgres, redis and the image's NODE_IMAGE are a base built locally
// (test/helpers/compose-base.ts), swapped in by test/fixtures/compose/docker-compose.test.yml.
// A cold machine builds that base (a minute or two) and BuildKit's cache; later runs reuse both.
// DOCKYARD_SKIP_COMPOSE_STACK=1 skips this file, saying so; nothing else does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { ensureRuntimeImage } from '../scripts/lib/image.mjs';
import { baseImage, ensureBaseImage, ensureBaseRootfs } from './helpers/compose-base.ts';
import { ensureComposeV2, runCompose, type ComposeClient } from './helpers/compose-client.ts';
import { startComposeEngine, type ComposeEngine } from './helpers/compose-engine.ts';
import { dockerFor, execIn, removeLabelled } from './helpers/docker.ts';
import { RUN_LABEL, testEnv } from './helpers/env.ts';
import { REPO } from './helpers/stack.ts';
import { waitFor } from './helpers/wait.ts';

const SKIP = process.env.DOCKYARD_SKIP_COMPOSE_STACK === '1';
if (SKIP) console.warn('SKIPPED: the compose stack test (DOCKYARD_SKIP_COMPOSE_STACK=1)');
const MINUTE = 60_000;

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

describe.skipIf(SKIP)('docker-compose.yml, up for real', () => {
  const t = testEnv();
  const project = `dockyard-t${t.runId}`;
  const label = `${RUN_LABEL}=${t.runId}`;
  const appImage = `dockyard-test/app:${t.runId}`;
  const token = 'compose-test-token-'.padEnd(40, 'x');
  const timings: string[] = [];
  let compose: ComposeClient;
  let engine: ComposeEngine | undefined;
  let docker: Docker;
  let env: NodeJS.ProcessEnv;
  let base: string;

  const dc = (args: string[], timeoutMs?: number) =>
    runCompose(compose, ['-p', project, '-f', join(REPO, 'docker-compose.yml'), '-f', join(REPO, 'test/fixtures/compose/docker-compose.test.yml'), ...args], env, timeoutMs);
  const timed = async <T>(what: string, step: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const value = await step();
    timings.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return value;
  };
  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
    return { status: res.status, body: await res.json().catch(() => null) };
  };
  const container = async (service: string) => {
    const [c] = await docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${project}`, `com.docker.compose.service=${service}`] } });
    if (!c) throw new Error(`no ${service} container in ${project}`);
    return docker.getContainer(c.Id).inspect();
  };
  const waitOnline = (id: string, jobId: string) =>
    waitFor(`workspace ${id} online after job ${jobId}`, async () => {
      const { body } = await api(`/v1/workspaces/${id}/events`);
      return (body.items as Array<{ to: string; jobId: string | null }>).some((e) => e.jobId === jobId && e.to === 'online') || undefined;
    }, { timeoutMs: 60_000, intervalMs: 250 });
  /** BullMQ's completed-job sets in Redis and their sizes (kept with no expiry: what the AOF must keep) */
  const completedJobs = async () => {
    const redis = (await container('redis')).Id;
    const keys = (await execIn(docker, redis, ['redis-cli', '--scan', '--pattern', '*:completed'])).split('\n').filter(Boolean).sort();
    return Promise.all(keys.map(async (k) => [k, Number(await execIn(docker, redis, ['redis-cli', 'zcard', k]))] as const));
  };

  beforeAll(async () => {
    compose = ensureComposeV2();
    const recipe = await timed('base root filesystem', () => ensureBaseRootfs(baseImage()));
    engine = await timed('engine', () => startComposeEngine(t.runId));
    docker = dockerFor(engine.host);
    await timed('base image', () => ensureBaseImage(docker, recipe));
    await ensureRuntimeImage(engine.host, REPO);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const { DOCKER_HOST: _suiteEngine, ...rest } = process.env;
    env = {
      ...rest,
      DOCKER_HOST: engine.host,
      DOCKER_BUILDKIT: '1',
      API_TOKEN: token,
      POSTGRES_PASSWORD: randomBytes(12).toString('hex'),
      SECRETS_KEY: randomBytes(32).toString('hex'),
      DOCKER_GID: String(statSync(engine.socket).gid),
      DOCKYARD_IMAGE: appImage,
      DOCKYARD_TEST_BASE_IMAGE: recipe.tag,
      DOCKYARD_TEST_RUN_ID: t.runId,
      DOCKYARD_TEST_API_PORT: String(port),
      DOCKYARD_TEST_DOCKER_SOCKET: engine.socket,
    };
  }, 20 * MINUTE);

  afterAll(async () => {
    if (!engine) return;
    try {
      await dc(['down', '--volumes', '--remove-orphans', '--timeout', '5'], 2 * MINUTE).catch((err) => console.error(err.message));
      await removeLabelled(docker, label);
      for (const image of await docker.listImages({ filters: { label: [label] } })) await docker.getImage(image.Id).remove({ force: true }).catch(() => undefined);
      expect(await docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${project}`] } })).toEqual([]);
      expect((await docker.listVolumes({ filters: { label: [label] } })).Volumes ?? []).toEqual([]);
      expect(await docker.listImages({ filters: { label: [label] } })).toEqual([]);
    } finally {
      await engine.stop();
      console.log(`compose stack (Compose ${compose.version}, ${engine.cached ? 'cached' : 'throwaway'} engine): ${timings.join(', ')}`);
    }
  }, 5 * MINUTE);

  it('builds one small image that runs api, worker and migrate as an unprivileged user, with a healthcheck', async () => {
    await timed('image build', () => dc(['build'], 15 * MINUTE));
    const image = await docker.getImage(appImage).inspect();
    expect(image.Config.User).toBe('node');
    expect(image.Config.Entrypoint).toEqual(['dockyard']);
    expect(image.Config.Cmd).toEqual(['api']);
    expect(image.Config.Healthcheck?.Test).toEqual(['CMD', 'node', '/app/healthcheck.mjs']);
    const baseSize = (await docker.getImage(env.DOCKYARD_TEST_BASE_IMAGE!).inspect()).Size;
    const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;
    timings.push(`image ${mb(image.Size)} (${mb(image.Size - baseSize)} above its base)`);
    expect(image.Size - baseSize, 'what the image adds to node:20-bookworm-slim').toBeLessThan(100e6);
  }, 16 * MINUTE);

  it('comes up: migrations first, then a healthy api (on 127.0.0.1 only) and a healthy worker on the Docker socket', async () => {
    await timed('compose up', () => dc(['up', '--detach', '--no-build'], 5 * MINUTE));
    await waitFor('the composed api ready', async () => (await api('/readyz')).status === 200 || undefined, { timeoutMs: 2 * MINUTE, intervalMs: 500 });
    const migrate = await container('migrate');
    expect(migrate.State.Status).toBe('exited');
    expect(migrate.State.ExitCode).toBe(0);
    for (const service of ['api', 'worker']) {
      await waitFor(`${service} healthy`, async () => (await container(service)).State.Health?.Status === 'healthy' || undefined, { timeoutMs: MINUTE, intervalMs: 500 });
      const c = await container(service);
      expect(c.Config.User, service).toBe('node');
      expect(c.Path, service).toBe('dockyard');
    }
    const ports = (await container('api')).NetworkSettings.Ports['8080/tcp'];
    expect(ports?.map((p) => p.HostIp)).toEqual(['127.0.0.1']);
    expect((await api('/readyz')).body.workers.alive).toBe(1);
  }, 8 * MINUTE);

  it('provisions and restarts a workspace; restarting redis and postgres loses nothing', async () => {
    const created = await api('/v1/workspaces', { method: 'POST', body: JSON.stringify({ name: 'composed', runtime: 'busybox' }) });
    expect(created.status).toBe(202);
    const id: string = created.body.workspace.id;
    await waitOnline(id, created.body.jobId);
    const restarted = await api(`/v1/workspaces/${id}/restart`, { method: 'POST', body: '{}' });
    expect(restarted.status).toBe(202);
    await waitOnline(id, restarted.body.jobId);
    const ws = (await api(`/v1/workspaces/${id}`)).body;
    const running = await docker.getContainer(ws.containerName).inspect();
    expect(running.State.Running).toBe(true);
    expect(running.Config.Labels[RUN_LABEL]).toBe(t.runId);

    const before = {
      installation: (await api('/readyz')).body.installation,
      events: (await api(`/v1/workspaces/${id}/events`)).body.items,
      jobs: await completedJobs(),
    };
    expect(before.jobs.length).toBeGreaterThan(0);
    await timed('restart redis and postgres', () => dc(['restart', '--timeout', '10', 'redis', 'postgres'], 2 * MINUTE));
    await waitFor('the api ready again', async () => (await api('/readyz')).status === 200 || undefined, { timeoutMs: 2 * MINUTE, intervalMs: 500 });
    expect((await api('/readyz')).body.installation).toBe(before.installation);
    // events come newest first: those from before are all still there, unchanged
    expect((await api(`/v1/workspaces/${id}/events`)).body.items.slice(-before.events.length)).toEqual(before.events);
    const after = new Map((await completedJobs()).map(([key, n]) => [key, n]));
    for (const [key, n] of before.jobs) expect(after.get(key) ?? 0, key).toBeGreaterThanOrEqual(n);
    expect((await api(`/v1/workspaces/${id}`)).body.status).toBe('online');
    expect((await docker.getContainer(ws.containerName).inspect()).State.StartedAt).toBe(running.State.StartedAt);

    // and the stack still works: another restart through the API
    const again = await api(`/v1/workspaces/${id}/restart`, { method: 'POST', body: '{}' });
    expect(again.status).toBe(202);
    await waitOnline(id, again.body.jobId);
  }, 5 * MINUTE);
});
