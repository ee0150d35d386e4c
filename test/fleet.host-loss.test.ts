import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { startStack, type Stack } from './helpers/stack.ts';
import { killHostEngine, startHostEngine, startHostEngines, stopHostEngines, type HostEngine } from './helpers/engines.ts';
import { dockerFor } from './helpers/docker.ts';
import { startTcpProxy } from './helpers/tcp-proxy.ts';
import { waitFor } from './helpers/wait.ts';
import { followEvents, sampleCopies, type EngineEvent } from './helpers/fleet.ts';

const HOSTS = ['host-1', 'host-2', 'host-3'];
const GROUP = 'loss';
/** Short fleet timings: a heartbeat every 300 ms, fence after 2.5 s of silence, lost after 5 s. */
const FLEET = { HOST_HEARTBEAT_MS: '300', HOST_FENCE_AFTER_MS: '2500', HOST_LOST_AFTER_MS: '5000', RECONCILE_INTERVAL_MS: '500', PLACEMENT: 'spread' };
const LOST_AFTER_MS = 5_000;

/** Host loss: a dead host's workspaces run elsewhere within seconds, never two copies at once. */
describe('fleet host loss', () => {
  let engines: HostEngine[] = [];
  beforeAll(async () => {
    engines = await startHostEngines(HOSTS, GROUP);
  }, 180_000);
  afterAll(async () => {
    await stopHostEngines(engines);
  }, 120_000);
  const engine = (name: string) => engines.find((e) => e.name === name)!;

  /** host-1 and host-3 in this process; host-2 a worker process of its own (env may route it through proxies). */
  async function startFleet(
    host2Env: (stack: Stack) => Record<string, string> = () => ({}),
  ): Promise<{ stack: Stack; host2: ChildProcess; ids: Record<string, string[]> }> {
    const stack = await startStack({ worker: false, localHost: false, env: FLEET });
    for (const name of ['host-1', 'host-3']) await stack.startWorker({ HOST_NAME: name, DOCKER_HOST: engine(name).host });
    const host2 = stack.spawnWorker({ HOST_NAME: 'host-2', DOCKER_HOST: engine('host-2').host, ...host2Env(stack) });
    await waitFor('host-2 to register', async () => (await stack.request('GET', '/v1/hosts/host-2')).body.state === 'ready' || undefined);
    const made = await Promise.all(Array.from({ length: 9 }, (_, i) => stack.create('busybox', `ws-${i}`)));
    const ids = Object.fromEntries(HOSTS.map((h) => [h, made.filter((m) => m.workspace.host === h).map((m) => m.workspace.id as string)]));
    expect(HOSTS.map((h) => ids[h]!.length)).toEqual([3, 3, 3]);
    await Promise.all(made.map((m) => stack.waitForStatus(m.workspace.id, 'online', 60_000)));
    return { stack, host2, ids };
  }
  const onlineElsewhere = (stack: Stack, ids: string[]) =>
    Promise.all(
      ids.map(async (id) => {
        const ws = (await stack.request('GET', `/v1/workspaces/${id}`)).body;
        return ws.status === 'online' && ws.host !== 'host-2' ? ws : undefined;
      }),
    ).then((all) => (all.every(Boolean) ? all : undefined));
  const killProcess = async (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
  };

  it('SIGKILL of host-2 (its worker and its engine): its workspaces run on host-1/host-3 within HOST_LOST_AFTER_MS + 15 s; host-2 back cleans up', async () => {
    const { stack, host2, ids } = await startFleet();
    let revived: ChildProcess | undefined;
    const index = engines.findIndex((e) => e.name === 'host-2');
    let engineDown = false;
    try {
      // the machine dies: its worker, its containers, its engine
      await killProcess(host2);
      const docker2 = dockerFor(engine('host-2').host);
      const mine = await docker2.listContainers({ filters: { label: [`dockyard.installation=${stack.installationId}`] } });
      await Promise.all(mine.map((c) => docker2.getContainer(c.Id).kill().catch(() => undefined)));
      await killHostEngine(engine('host-2'), GROUP);
      engineDown = true;
      const killedAt = Date.now();

      const moved = await waitFor('host-2\'s workspaces online elsewhere', () => onlineElsewhere(stack, ids['host-2']!), {
        timeoutMs: LOST_AFTER_MS + 15_000,
        intervalMs: 200,
      });
      expect(Date.now() - killedAt).toBeLessThan(LOST_AFTER_MS + 15_000);
      expect((await stack.request('GET', '/v1/hosts/host-2')).body.state).toBe('lost');
      for (const ws of moved) {
        expect(['host-1', 'host-3']).toContain(ws.host);
        const events = await stack.events(ws.id);
        expect(events.some((e) => e.cause === 'host lost: host-2' && e.to === 'offline')).toBe(true);
        expect(events.map((e) => e.message)).toContain(`re-placed from host-2 to ${ws.host} after host loss; config re-seeded from busybox-default`);
        const running = await dockerFor(engine(ws.host).host).getContainer(ws.containerName).inspect();
        expect(running.State.Running).toBe(true);
      }
      // the other hosts' workspaces were not touched
      for (const id of [...ids['host-1']!, ...ids['host-3']!]) {
        expect((await stack.request('GET', `/v1/workspaces/${id}`)).body).toMatchObject({ status: 'online', restartCount: 0 });
      }

      // the machine comes back: a new worker process removes the stale copies before it takes work
      engines[index] = await startHostEngine('host-2', GROUP);
      engineDown = false;
      const stale = await dockerFor(engine('host-2').host).listContainers({ all: true, filters: { label: [`dockyard.installation=${stack.installationId}`] } });
      expect(stale.length).toBeGreaterThan(0); // the dead copies are still there
      revived = stack.spawnWorker({ HOST_NAME: 'host-2', DOCKER_HOST: engine('host-2').host });
      await waitFor('host-2 ready again', async () => (await stack.request('GET', '/v1/hosts/host-2')).body.state === 'ready' || undefined);
      await waitFor('host-2 without stale copies', async () => {
        const left = await dockerFor(engine('host-2').host).listContainers({ all: true, filters: { label: [`dockyard.installation=${stack.installationId}`] } });
        return left.length === 0 || undefined;
      });
      // each removal is noted in the workspace's event log, written after its container and volume are gone
      await waitFor('a note of the removed copy in each of its workspaces', async () => {
        for (const id of ids['host-2']!) if (!(await stack.events(id)).some((e) => e.message?.startsWith('removed the copy left on host-2'))) return undefined;
        return true;
      });
    } finally {
      await killProcess(host2);
      if (revived) await killProcess(revived);
      await stack.close();
      // a killed engine is started again, so its (dead) containers and volumes can be removed by label
      if (engineDown) engines[index] = await startHostEngine('host-2', GROUP);
    }
  }, 120_000);

  it('a partition: host-2 fences itself before any copy starts; a short cut restarts nothing; back, it cleans up and takes work', async () => {
    const pg = new URL(process.env.DATABASE_URL!);
    const redis = new URL(process.env.REDIS_URL!);
    const pgProxy = await startTcpProxy({ host: pg.hostname, port: Number(pg.port) });
    const redisProxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port) });
    const through = (url: string, proxy: { port: number }) => Object.assign(new URL(url), { hostname: '127.0.0.1', port: String(proxy.port) }).toString();
    let fleet: Awaited<ReturnType<typeof startFleet>> | undefined;
    const watchers: Array<() => void> = [];
    let sampler: ReturnType<typeof sampleCopies> | undefined;
    try {
      // host-2's worker reaches Postgres and Redis only through the proxies; its engine is local to it
      fleet = await startFleet((stack) => ({
        DATABASE_URL: through(stack.env.DATABASE_URL!, pgProxy),
        REDIS_URL: through(stack.env.REDIS_URL!, redisProxy),
      }));
      const { stack, ids } = fleet;
      expect(pgProxy.openSockets).toBeGreaterThan(0);

      // every container event of every engine, with its time, and a sampler of running copies
      const events: EngineEvent[] = [];
      for (const e of engines) watchers.push(await followEvents(dockerFor(e.host), e.name, stack.installationId, events));
      sampler = sampleCopies(engines, stack.installationId);

      // a cut shorter than HOST_FENCE_AFTER_MS restarts nothing
      const before = await Promise.all(ids['host-2']!.map(async (id) => (await stack.request('GET', `/v1/workspaces/${id}`)).body));
      pgProxy.cut();
      redisProxy.cut();
      await new Promise((r) => setTimeout(r, 1_000));
      pgProxy.restore();
      redisProxy.restore();
      await new Promise((r) => setTimeout(r, 3_000)); // ten heartbeats
      expect(events.filter((e) => e.host === 'host-2' && e.action === 'die')).toEqual([]);
      const after = await Promise.all(ids['host-2']!.map(async (id) => (await stack.request('GET', `/v1/workspaces/${id}`)).body));
      expect(after.map((w) => [w.status, w.host, w.generation, w.restartCount])).toEqual(before.map((w) => [w.status, w.host, w.generation, w.restartCount]));

      // a long cut: fence, then loss, then copies elsewhere
      pgProxy.cut();
      redisProxy.cut();
      await waitFor('host-2\'s workspaces online elsewhere', () => onlineElsewhere(stack, ids['host-2']!), { timeoutMs: 40_000, intervalMs: 200 });
      for (const id of ids['host-2']!) {
        const stopped = events.find((e) => e.host === 'host-2' && e.workspaceId === id && e.action === 'die');
        const started = events.find((e) => e.host !== 'host-2' && e.workspaceId === id && e.action === 'start');
        expect(stopped, `host-2 stopped ${id}`).toBeDefined();
        expect(started, `a copy of ${id} started elsewhere`).toBeDefined();
        expect(stopped!.at).toBeLessThan(started!.at);
      }

      // back: host-2 removes its stale copies (containers and volumes), says so, and takes work again
      pgProxy.restore();
      redisProxy.restore();
      await waitFor('host-2 ready again', async () => (await stack.request('GET', '/v1/hosts/host-2')).body.state === 'ready' || undefined, { timeoutMs: 30_000 });
      const docker2 = dockerFor(engine('host-2').host);
      const left = await docker2.listContainers({ all: true, filters: { label: [`dockyard.installation=${stack.installationId}`] } });
      expect(left).toEqual([]);
      for (const id of ids['host-2']!) {
        expect((await stack.events(id)).some((e) => e.cause === 'host rejoined: host-2' && e.message?.startsWith('removed the copy left on host-2'))).toBe(true);
      }
      const pinned = await stack.request('POST', '/v1/workspaces', { body: { name: 'back', runtime: 'busybox', host: 'host-2' } });
      expect((await stack.waitForStatus(pinned.body.workspace.id, 'online', 30_000)).host).toBe('host-2');
      expect(await sampler.stop()).toBe(1);
    } finally {
      await sampler?.stop();
      watchers.forEach((stop) => stop());
      if (fleet) {
        await killProcess(fleet.host2);
        await fleet.stack.close();
      }
      await pgProxy.close();
      await redisProxy.close();
    }
  }, 180_000);
});
