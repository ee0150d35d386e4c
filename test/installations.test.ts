import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type Docker from 'dockerode';
import { startStack, type Stack } from './helpers/stack.ts';
import { waitFor } from './helpers/wait.ts';
import { removeLabelled } from './helpers/docker.ts';
import { RUN_LABEL } from './helpers/env.ts';

const INSTALLATION = 'dockyard.installation';
const SHARED = 'dockyard.test-shared';

/**
 * Two installations (own databases, own queue prefixes) on one Docker engine, with the same
 * DOCKER_LABELS, so nothing but the installation label tells their objects apart.
 */
describe('two installations on one engine', () => {
  const shared = randomUUID();
  const labels = `${RUN_LABEL}=${process.env.DOCKYARD_TEST_RUN_ID},${SHARED}=${shared}`;
  const env = { DOCKER_LABELS: labels, RECONCILE_REMOVE_ORPHANS: 'true', RECONCILE_INTERVAL_MS: '300' };
  let a: Stack;
  let b: Stack;
  let docker: Docker;
  const events: Array<{ Type: string; Action: string; Actor: { ID: string; Attributes: Record<string, string> } }> = [];
  let stopEvents: () => void = () => undefined;

  beforeAll(async () => {
    [a, b] = await Promise.all([startStack({ env }), startStack({ env })]);
    docker = a.docker;
    // every container and volume event on the engine while the test runs
    const stream = (await docker.getEvents({ filters: JSON.stringify({ type: ['container', 'volume'] }) })) as NodeJS.ReadableStream & { destroy(): void };
    let buffer = '';
    stream.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line) events.push(JSON.parse(line));
      }
    });
    stopEvents = () => stream.destroy();
  });
  afterAll(async () => {
    stopEvents();
    await Promise.all([a?.close(), b?.close()]);
    if (docker) await removeLabelled(docker, `${SHARED}=${shared}`);
  });

  const passes = (s: Stack) => s.logLines.filter((l) => l.includes('reconcile pass done')).length;
  const containersOf = async (installation: string) =>
    docker.listContainers({ all: true, filters: { label: [`${SHARED}=${shared}`, `${INSTALLATION}=${installation}`] } });

  it('each reconciles many times and never touches a container or volume of the other', async () => {
    expect(a.installationId).not.toBe(b.installationId);
    const created = await Promise.all(
      [a, b].map(async (s) => Promise.all(Array.from({ length: 10 }, (_, i) => s.create('busybox', `ws-${i}`)))),
    );
    const ids = created.map((list) => list.map((c) => c.workspace.id as string));
    await Promise.all([a, b].map((s, i) => Promise.all(ids[i]!.map((id) => s.waitForStatus(id, 'online')))));
    await Promise.all([a, b].flatMap((s, i) => ids[i]!.map((id) => s.waitForIdle(id))));

    const before = await Promise.all([a, b].map((s) => containersOf(s.installationId)));
    const mainsOf = (list: Docker.ContainerInfo[]) => list.filter((c) => !c.Labels['dockyard.role']);
    expect(mainsOf(before[0]!)).toHaveLength(10);
    expect(mainsOf(before[1]!)).toHaveLength(10);
    const watchedFrom = events.length;
    const passesFrom = [passes(a), passes(b)];
    await waitFor('both reconcilers to run five more passes', async () => (passes(a) >= passesFrom[0]! + 5 && passes(b) >= passesFrom[1]! + 5) || undefined);

    // no die or destroy of any workspace container, no destroyed volume, on either side
    const ownerOf = new Map(before.flatMap((list, i) => mainsOf(list).map((c) => [c.Id, i] as const)));
    const volumes = new Set(created.flat().map((c) => c.workspace.configVolume as string));
    const touched = events.slice(watchedFrom).filter(
      (e) =>
        (e.Type === 'container' && ['die', 'kill', 'destroy'].includes(e.Action) && ownerOf.has(e.Actor.ID)) ||
        (e.Type === 'volume' && e.Action === 'destroy' && volumes.has(e.Actor.ID)),
    );
    expect(touched).toEqual([]);
    const after = await Promise.all([a, b].map((s) => containersOf(s.installationId)));
    expect(mainsOf(after[0]!).map((c) => c.Id).sort()).toEqual(mainsOf(before[0]!).map((c) => c.Id).sort());
    expect(mainsOf(after[1]!).map((c) => c.Id).sort()).toEqual(mainsOf(before[1]!).map((c) => c.Id).sort());
    expect(mainsOf(after[0]!).every((c) => c.State === 'running')).toBe(true);
    expect(mainsOf(after[1]!).every((c) => c.State === 'running')).toBe(true);
    for (const s of [a, b]) {
      expect(s.logLines.filter((l) => l.includes('orphan managed container'))).toEqual([]);
      expect(s.logLines.filter((l) => l.includes('unlabelled managed container'))).toEqual([]);
    }
    // and each names its own installation
    const ready = await Promise.all([a, b].map((s) => s.request('GET', '/readyz', { token: null })));
    expect(ready.map((r) => r.body.installation)).toEqual([a.installationId, b.installationId]);
  });

  const makeUnlabelled = async (workspaceId: string) => {
    const name = `ws-${workspaceId.slice(0, 12)}`;
    const extra = Object.fromEntries(labels.split(',').map((kv) => kv.split('=') as [string, string]));
    const c = await docker.createContainer({
      name,
      Image: process.env.DOCKYARD_TEST_IMAGE,
      Cmd: ['sh', '-c', 'sleep 3600'],
      Labels: { ...extra, 'molecule.platform.managed': 'true', 'dockyard.workspace-id': workspaceId },
      HostConfig: { NetworkMode: 'none' },
    });
    await c.start();
    return { id: c.id, name };
  };
  const exists = (id: string) =>
    docker
      .getContainer(id)
      .inspect()
      .then(() => true)
      .catch(() => false);

  it('reports an unlabelled managed container once, leaves it, and adopts it when told', async () => {
    const stranger = await makeUnlabelled(randomUUID());
    const reported = (s: Stack) => s.logLines.filter((l) => l.includes('unlabelled managed container') && l.includes(stranger.name));
    await waitFor('both installations to report it', async () => (reported(a).length > 0 && reported(b).length > 0) || undefined);
    const passesFrom = passes(a);
    await waitFor('five more passes', async () => passes(a) >= passesFrom + 5 || undefined);
    expect(reported(a)).toHaveLength(1); // once, not every pass
    expect(await exists(stranger.id)).toBe(true); // orphan removal is on, yet it is left alone

    const listed = await a.request('GET', '/v1/installation');
    expect(listed.status).toBe(200);
    expect(listed.body.id).toBe(a.installationId);
    expect(listed.body.unlabelled).toEqual([expect.objectContaining({ dockerId: stranger.id, name: stranger.name, adoptedAt: null })]);

    const bad = await a.request('POST', '/v1/installation/adopt', { body: { dockerIds: ['not-an-id'] } });
    expect(bad.status).toBe(400);
    const adopted = await a.request('POST', '/v1/installation/adopt', { body: { dockerIds: [stranger.id] } });
    expect(adopted.status).toBe(202);
    expect(adopted.body.adopted).toEqual([expect.objectContaining({ dockerId: stranger.id, adoptedBy: 'api' })]);
    expect(a.logLines.some((l) => l.includes('adopted unlabelled managed container') && l.includes(stranger.id))).toBe(true);
    // adopted, it is this installation's orphan (no workspace here), and orphan removal is on
    await waitFor('the adopted orphan to be removed', async () => !(await exists(stranger.id)) || undefined);
    expect(a.logLines.some((l) => l.includes('orphan managed container') && l.includes(stranger.name))).toBe(true);
    expect(b.logLines.some((l) => l.includes('orphan managed container') && l.includes(stranger.name))).toBe(false);
  });

  it('adopts unlabelled containers by itself with RECONCILE_ADOPT_UNLABELLED=true', async () => {
    const stranger = await makeUnlabelled(randomUUID());
    await waitFor('b to report it', async () => b.logLines.some((l) => l.includes('unlabelled managed container') && l.includes(stranger.name)) || undefined);
    expect(await exists(stranger.id)).toBe(true);
    const adopter = await startStack({ worker: false, env: { ...env, RECONCILE_ADOPT_UNLABELLED: 'true' } });
    try {
      await adopter.startWorker({ WORKER_ROLES: 'reconciler' });
      await waitFor('the adopted orphan to be removed', async () => !(await exists(stranger.id)) || undefined);
      expect(adopter.logLines.some((l) => l.includes('adopted unlabelled managed container') && l.includes(stranger.id))).toBe(true);
      expect(b.logLines.some((l) => l.includes('adopted unlabelled managed container') && l.includes(stranger.id))).toBe(false);
    } finally {
      await adopter.close();
    }
  });

  it('an older Dockyard\'s container of its own workspace is kept, then relabelled on the next restart', async () => {
    // no watcher, and no reconciler until the old container is in place: nothing races the swap
    const c = await startStack({ env: { ...env, WORKER_ROLES: 'jobs' } });
    try {
      const { workspace } = await c.create('busybox', 'legacy');
      await c.waitForStatus(workspace.id, 'online');
      await c.waitForIdle(workspace.id);
      // what an older Dockyard left: the same container, without the installation label
      await docker.getContainer(workspace.containerName).remove({ force: true });
      const legacy = await makeUnlabelled(workspace.id);
      await c.startWorker({ WORKER_ROLES: 'reconciler' });
      await waitFor('five reconcile passes', async () => passes(c) >= 5 || undefined);
      expect(c.logLines.some((l) => l.includes('unlabelled managed container') && l.includes(legacy.name))).toBe(false);
      expect((await docker.getContainer(legacy.id).inspect()).State.Running).toBe(true); // no installation touched it
      const seen = (await c.request('GET', `/v1/workspaces/${workspace.id}`)).body;
      expect(seen).toMatchObject({ status: 'online', restartCount: 0 });
      // the other installations do not know the workspace: for them it is a stranger, reported and left
      await waitFor('a to report it', async () => a.logLines.some((l) => l.includes('unlabelled managed container') && l.includes(legacy.name)) || undefined);

      const restart = await c.request('POST', `/v1/workspaces/${workspace.id}/restart`, { body: {} });
      expect(restart.status).toBe(202);
      await c.waitForJob(workspace.id, restart.body.jobId, 'online');
      const relabelled = await docker.getContainer(workspace.containerName).inspect();
      expect(relabelled.Config.Labels[INSTALLATION]).toBe(c.installationId);
      expect(relabelled.State.Running).toBe(true);
      expect((await c.events(workspace.id)).some((e) => e.message?.includes("made anew with this installation's label"))).toBe(true);
    } finally {
      await c.close();
    }
  });
});
