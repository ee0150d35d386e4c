import { describe, expect, it } from 'vitest';
import { useStack } from './helpers/use-stack.ts';
import { readVolumeFile, runInVolume } from './helpers/docker.ts';
import { testEnv } from './helpers/env.ts';

/**
 * The seed incident, made self-healing: restart finds the config volume empty and recovers it.
 * Twice: with preflight reading the volume from the engine's folder (DOCKER_LOCAL_VOLUMES=auto,
 * a local engine) and through the engine's archive API (off, as a remote engine is read).
 */
describe.each(['auto', 'off'])('restart: preflight and recovery (DOCKER_LOCAL_VOLUMES=%s)', (localVolumes) => {
  // jobs only: the containers this file stops by hand must not be auto-restarted behind its back
  const stack = useStack({ env: { WORKER_ROLES: 'jobs', DOCKER_LOCAL_VOLUMES: localVolumes } });
  const image = testEnv().image;

  async function onlineWorkspace(runtime = 'busybox') {
    const { workspace } = await stack.create(runtime);
    return stack.waitForStatus(workspace.id, 'online');
  }
  async function restart(id: string, body: object = {}) {
    const res = await stack.request('POST', `/v1/workspaces/${id}/restart`, { body });
    expect(res.status).toBe(202);
    return res.body;
  }
  const newestMessage = async (id: string) => (await stack.request('GET', `/v1/workspaces/${id}/events?limit=1`)).body.items[0].message;

  it('recovers a volume emptied after provision (config.yaml gone, marker kept)', async () => {
    const ws = await onlineWorkspace();
    await stack.docker.getContainer(ws.containerName).stop({ t: 1 });
    await runInVolume(stack.docker, ws.configVolume, image, 'rm /v/config.yaml && test -f /v/.provisioned');
    expect(await readVolumeFile(stack.docker, ws.configVolume, image, 'config.yaml')).toBeUndefined();

    const accepted = await restart(ws.id, { reason: 'seed incident' });
    expect(accepted.workspace.desiredState).toBe('running');
    const after = await stack.waitForJob(ws.id, accepted.jobId, 'online');
    expect(after.generation).toBe(2);
    expect(await readVolumeFile(stack.docker, ws.configVolume, image, 'config.yaml')).toContain('agent: default-template');
    expect(await newestMessage(ws.id)).toBe('restarted: volume emptied after provision — recovered from busybox-default');
    const info = await stack.docker.getContainer(ws.containerName).inspect();
    expect(info.State.Running).toBe(true);
    const events = (await stack.request('GET', `/v1/workspaces/${ws.id}/events`)).body.items;
    expect(events.some((e: any) => e.cause === 'api: restart (seed incident)' && e.from === 'online' && e.to === 'provisioning')).toBe(true);
  });

  it('seeds a fully empty volume and says it was never provisioned', async () => {
    const ws = await onlineWorkspace();
    await stack.docker.getContainer(ws.containerName).stop({ t: 1 });
    await runInVolume(stack.docker, ws.configVolume, image, 'rm -rf /v/* /v/.provisioned');
    const { jobId } = await restart(ws.id);
    await stack.waitForJob(ws.id, jobId, 'online');
    expect(await newestMessage(ws.id)).toBe('restarted: volume empty, never provisioned — seeded from busybox-default');
    expect(await readVolumeFile(stack.docker, ws.configVolume, image, 'config.yaml')).toContain('agent: default-template');
    expect(JSON.parse((await readVolumeFile(stack.docker, ws.configVolume, image, '.provisioned'))!).template).toBe('busybox-default');
  });

  it('keeps user edits on a plain restart and replaces them with applyTemplate: true', async () => {
    const ws = await onlineWorkspace();
    await runInVolume(stack.docker, ws.configVolume, image, 'echo "agent: edited-by-user" > /v/config.yaml');
    await stack.waitForJob(ws.id, (await restart(ws.id)).jobId, 'online');
    expect(await newestMessage(ws.id)).toBe('restarted: volume healthy');
    expect(await readVolumeFile(stack.docker, ws.configVolume, image, 'config.yaml')).toBe('agent: edited-by-user\n');

    await stack.waitForJob(ws.id, (await restart(ws.id, { applyTemplate: true })).jobId, 'online');
    expect(await newestMessage(ws.id)).toBe('restarted: template re-applied from busybox-default');
    expect(await readVolumeFile(stack.docker, ws.configVolume, image, 'config.yaml')).toContain('agent: default-template');
  });

  it('recreates a container that went missing', async () => {
    const ws = await onlineWorkspace();
    await stack.docker.getContainer(ws.containerName).remove({ force: true });
    await stack.waitForJob(ws.id, (await restart(ws.id)).jobId, 'online');
    expect((await stack.docker.getContainer(ws.containerName).inspect()).State.Running).toBe(true);
  });
});
