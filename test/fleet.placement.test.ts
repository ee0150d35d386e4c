import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './helpers/stack.ts';
import { startHostEngines, stopHostEngines, type HostEngine } from './helpers/engines.ts';
import { dockerFor, execIn, readVolumeFile } from './helpers/docker.ts';
import { sampleCopies } from './helpers/fleet.ts';
import { waitFor } from './helpers/wait.ts';

const HOSTS = ['host-1', 'host-2', 'host-3'];

/** Three real Docker engines, each with its own host worker; placement decides where a workspace runs. */
describe('fleet placement over three engines', () => {
  let engines: HostEngine[] = [];
  beforeAll(async () => {
    engines = await startHostEngines(HOSTS, 'placement');
  }, 180_000);
  afterAll(async () => {
    await stopHostEngines(engines);
  }, 120_000);

  /** An installation with no host of its own, and one worker per engine. */
  async function startFleet(env: Record<string, string>, hosts: Array<{ capacity: number; labels?: string }>): Promise<Stack> {
    const stack = await startStack({ worker: false, localHost: false, env: { RECONCILE_INTERVAL_MS: '300', ...env } });
    for (const [i, e] of engines.entries()) {
      await stack.startWorker({ HOST_NAME: e.name, DOCKER_HOST: e.host, HOST_CAPACITY: String(hosts[i]!.capacity), HOST_LABELS: hosts[i]!.labels ?? '' });
    }
    return stack;
  }
  const createMany = async (stack: Stack, n: number, runtime = 'busybox') => {
    const made: any[] = [];
    for (let i = 0; i < n; i += 10) {
      made.push(...(await Promise.all(Array.from({ length: Math.min(10, n - i) }, (_, j) => stack.create(runtime, `ws-${i + j}`)))));
    }
    return made.map((m) => m.workspace);
  };
  const countBy = (items: any[]) => Object.fromEntries(HOSTS.map((h) => [h, items.filter((w) => w.host === h).length]));
  const waitAllOnline = (stack: Stack, n: number) =>
    waitFor(`${n} workspaces online`, async () => {
      const res = await stack.request('GET', '/v1/workspaces?status=online&limit=500');
      return res.body.items.length >= n ? res.body.items : undefined;
    }, { timeoutMs: 120_000, intervalMs: 250 });
  /** The workspace ids whose running container is on each engine (this installation's only). */
  const runningOn = async (stack: Stack) =>
    Object.fromEntries(
      await Promise.all(
        engines.map(async (e) => {
          const list = await dockerFor(e.host).listContainers({ filters: { label: [`dockyard.installation=${stack.installationId}`] } });
          return [e.name, list.filter((c) => !c.Labels['dockyard.role']).map((c) => c.Labels['dockyard.workspace-id']).sort()] as const;
        }),
      ),
    );

  it('spreads 60 workspaces 20/20/20, each running on the engine of its host', async () => {
    const stack = await startFleet({ PLACEMENT: 'spread' }, [{ capacity: 100 }, { capacity: 100 }, { capacity: 100 }]);
    try {
      const created = await createMany(stack, 60);
      expect(countBy(created)).toEqual({ 'host-1': 20, 'host-2': 20, 'host-3': 20 });
      const online = await waitAllOnline(stack, 60);
      const running = await runningOn(stack);
      for (const h of HOSTS) expect(running[h]).toEqual(online.filter((w: any) => w.host === h).map((w: any) => w.id).sort());

      const hosts = (await stack.request('GET', '/v1/hosts')).body.items;
      expect(hosts.map((h: any) => [h.name, h.state, h.used, h.capacity])).toEqual(HOSTS.map((h) => [h, 'ready', 20, 100]));
      const onHost2 = await stack.request('GET', '/v1/workspaces?host=host-2&limit=500');
      expect(onHost2.body.items).toHaveLength(20);
      expect(onHost2.body.items.every((w: any) => w.host === 'host-2')).toBe(true);
      const events = await stack.events(created[0].id);
      expect(events[0].message).toBe(`placed on ${created[0].host}`);
    } finally {
      await stack.close();
    }
  }, 240_000);

  it('binpacks by capacity, honours hostLabels and a pinned host, and places a waiting workspace once a host has room', async () => {
    const stack = await startFleet({ PLACEMENT: 'binpack' }, [{ capacity: 4 }, { capacity: 6 }, { capacity: 3, labels: 'gpu=true' }]);
    try {
      // the fullest host with room first: host-1 until full, then host-2, then host-3
      const packed = await createMany(stack, 13);
      expect(countBy(packed)).toEqual({ 'host-1': 4, 'host-2': 6, 'host-3': 3 });
      // all full: the next one waits, unscheduled, and says why
      const [waiting] = await createMany(stack, 1);
      expect(waiting).toMatchObject({ host: null, status: 'provisioning', step: 'unscheduled' });
      expect((await stack.events(waiting.id))[0].message).toBe('waiting for a host: host-1 full (4/4), host-2 full (6/6), host-3 full (3/3)');
      await waitAllOnline(stack, 13);

      // room appears: a workspace of host-2 is removed, and the waiting one is placed there
      const gone = packed.find((w) => w.host === 'host-2')!;
      expect((await stack.request('DELETE', `/v1/workspaces/${gone.id}`)).status).toBe(202);
      const placed = await stack.waitForStatus(waiting.id, 'online', 60_000);
      expect(placed.host).toBe('host-2');
      expect((await stack.events(waiting.id)).some((e) => e.cause === 'placement' && e.message === 'placed on host-2')).toBe(true);

      // hostLabels: the gpu runtime goes only to host-3 (gpu=true); it waits while host-3 is full
      const gpu = (await stack.create('busybox-gpu', 'gpu')).workspace;
      expect(gpu.host).toBeNull();
      expect((await stack.events(gpu.id))[0].message).toBe('waiting for a host: host-1 lacks gpu=true, host-2 lacks gpu=true, host-3 full (3/3)');
      await stack.request('DELETE', `/v1/workspaces/${packed.find((w) => w.host === 'host-3')!.id}`);
      expect((await stack.waitForStatus(gpu.id, 'online', 60_000)).host).toBe('host-3');

      // a pinned host: cordoned, so the pinned workspace waits; uncordoned, it is placed there
      expect((await stack.request('POST', '/v1/hosts/host-1/cordon')).body.state).toBe('cordoned');
      const del = packed.filter((w) => w.host === 'host-1');
      for (const w of del) await stack.request('DELETE', `/v1/workspaces/${w.id}`);
      const pinned = await stack.request('POST', '/v1/workspaces', { body: { name: 'pinned', runtime: 'busybox', host: 'host-1' } });
      expect(pinned.status).toBe(202);
      expect(pinned.body.workspace.host).toBeNull();
      expect((await stack.request('POST', '/v1/hosts/host-1/uncordon')).body.state).toBe('ready');
      expect((await stack.waitForStatus(pinned.body.workspace.id, 'online', 60_000)).host).toBe('host-1');

      const unknown = await stack.request('POST', '/v1/workspaces', { body: { name: 'nowhere', runtime: 'busybox', host: 'host-9' } });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.message).toMatch(/unknown host host-9/);
      expect((await stack.request('GET', '/v1/hosts/host-9')).status).toBe(404);
    } finally {
      await stack.close();
    }
  }, 240_000);

  it('drains host-2: its workspaces move to host-1/host-3 with the user\'s edits, never two copies at once', async () => {
    const stack = await startFleet({ PLACEMENT: 'spread', DRAIN_PARALLEL: '2', HOST_HEARTBEAT_MS: '300' }, [{ capacity: 100 }, { capacity: 100 }, { capacity: 100 }]);
    const sampler = sampleCopies(engines, stack.installationId);
    try {
      const created = await createMany(stack, 9);
      await waitAllOnline(stack, 9);
      const onHost2 = created.filter((w) => w.host === 'host-2');
      expect(onHost2).toHaveLength(3);
      const engine2 = dockerFor(engines[1]!.host);
      for (const w of onHost2) await execIn(engine2, w.containerName, ['sh', '-c', `echo "edited ${w.id}" > /configs/user-notes.txt`]);

      const drain = await stack.request('POST', '/v1/hosts/host-2/drain');
      expect(drain.status).toBe(200);
      expect(drain.body.state).toBe('draining');
      // no new placement on a draining host
      expect((await stack.create('busybox', 'not-on-host-2')).workspace.host).not.toBe('host-2');

      await waitFor('host-2 drained and cordoned', async () => {
        const h = (await stack.request('GET', '/v1/hosts/host-2')).body;
        return h.state === 'cordoned' && h.used === 0 ? h : undefined;
      }, { timeoutMs: 90_000, intervalMs: 250 });
      for (const w of onHost2) {
        const moved = await stack.waitForStatus(w.id, 'online', 60_000);
        expect(['host-1', 'host-3']).toContain(moved.host);
        const engine = dockerFor(engines.find((e) => e.name === moved.host)!.host);
        expect(await readVolumeFile(engine, moved.configVolume, process.env.DOCKYARD_TEST_IMAGE!, 'user-notes.txt')).toBe(`edited ${w.id}\n`);
        expect((await stack.events(w.id)).map((e) => e.message)).toContainEqual(expect.stringMatching(new RegExp(`^moved from host-2 to ${moved.host}; config copied \\(\\d+ files\\)$`)));
      }
      const left = await engine2.listContainers({ all: true, filters: { label: [`dockyard.installation=${stack.installationId}`] } });
      expect(left).toEqual([]);
      const volumes = (await engine2.listVolumes({ filters: { label: [`dockyard.installation=${stack.installationId}`] } })).Volumes ?? [];
      expect(volumes).toEqual([]);
      for (const w of created.filter((w) => w.host !== 'host-2')) {
        expect((await stack.request('GET', `/v1/workspaces/${w.id}`)).body).toMatchObject({ status: 'online', restartCount: 0, host: w.host });
      }
      expect(await sampler.stop()).toBe(1);
    } finally {
      await sampler.stop();
      await stack.close();
    }
  }, 240_000);
});
