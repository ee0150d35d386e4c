import { describe, expect, it } from 'vitest';
import { useStack } from './helpers/use-stack.ts';
import { volumeExists } from './helpers/docker.ts';

describe('stop and remove; removed is a tombstone', () => {
  const stack = useStack();

  const online = async () => {
    const { workspace } = await stack.create();
    return stack.waitForStatus(workspace.id, 'online');
  };

  it('stop pauses the workspace; restart brings it back', async () => {
    const ws = await online();
    const stop = await stack.request('POST', `/v1/workspaces/${ws.id}/stop`);
    expect(stop.status).toBe(202);
    expect(stop.body.workspace.desiredState).toBe('stopped');
    const paused = await stack.waitForJob(ws.id, stop.body.jobId, 'paused');
    expect(paused).toMatchObject({ status: 'paused', desiredState: 'stopped', step: null });
    expect((await stack.docker.getContainer(ws.containerName).inspect()).State.Running).toBe(false);

    const restart = await stack.request('POST', `/v1/workspaces/${ws.id}/restart`, { body: {} });
    const back = await stack.waitForJob(ws.id, restart.body.jobId, 'online');
    expect(back.desiredState).toBe('running');
    expect((await stack.docker.getContainer(ws.containerName).inspect()).State.Running).toBe(true);
  });

  it('delete removes the container and keeps the volume; the tombstone refuses restart', async () => {
    const ws = await online();
    const del = await stack.request('DELETE', `/v1/workspaces/${ws.id}`);
    expect(del.status).toBe(202);
    expect(del.body.workspace).toMatchObject({ status: 'removed', desiredState: 'removed' });
    await stack.waitForJob(ws.id, del.body.jobId, 'removed');
    await expect(stack.docker.getContainer(ws.containerName).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(await volumeExists(stack.docker, ws.configVolume)).toBe(true);
    const events = (await stack.request('GET', `/v1/workspaces/${ws.id}/events?limit=1`)).body.items;
    expect(events[0].message).toBe('container removed; config volume kept');

    const restart = await stack.request('POST', `/v1/workspaces/${ws.id}/restart`, { body: {} });
    expect(restart.status).toBe(409);
    expect(restart.body.error.code).toBe('CONFLICT');
    expect((await stack.request('POST', `/v1/workspaces/${ws.id}/stop`)).status).toBe(409);
  });

  it('delete ?purge=true removes the config volume too', async () => {
    const ws = await online();
    const del = await stack.request('DELETE', `/v1/workspaces/${ws.id}?purge=true`);
    await stack.waitForJob(ws.id, del.body.jobId, 'removed');
    expect(await volumeExists(stack.docker, ws.configVolume)).toBe(false);
  });

  it('a late job can never resurrect a removed workspace', async () => {
    const ws = await online();
    const del = await stack.request('DELETE', `/v1/workspaces/${ws.id}`);
    await stack.waitForJob(ws.id, del.body.jobId, 'removed');
    // a late provision and a late restart arrive after the delete (e.g. from a stale producer)
    await stack.queues.provision.add('provision', { workspaceId: ws.id, generation: 1 }, { jobId: `${ws.id}.late-provision` });
    await stack.queues.restart.add('restart', { workspaceId: ws.id, generation: ws.generation }, { jobId: `${ws.id}.late-restart` });
    await waitUntilFinished(`${ws.id}.late-provision`, 'provision');
    await waitUntilFinished(`${ws.id}.late-restart`, 'restart');
    const row = (await stack.request('GET', `/v1/workspaces/${ws.id}`)).body;
    expect(row.status).toBe('removed');
    await expect(stack.docker.getContainer(ws.containerName).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('delete while a restart waits supersedes it; nothing is recreated', async () => {
    const ws = await online();
    const restart = await stack.request('POST', `/v1/workspaces/${ws.id}/restart`, { body: {} });
    const del = await stack.request('DELETE', `/v1/workspaces/${ws.id}`);
    expect(del.status).toBe(202);
    await stack.waitForJob(ws.id, del.body.jobId, 'removed');
    expect(restart.status).toBe(202);
    const row = (await stack.request('GET', `/v1/workspaces/${ws.id}`)).body;
    expect(row.status).toBe('removed');
    await expect(stack.docker.getContainer(ws.containerName).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  async function waitUntilFinished(jobId: string, queue: 'provision' | 'restart') {
    for (let i = 0; i < 200; i++) {
      const job = await stack.queues[queue].getJob(jobId);
      const state = await job?.getState();
      if (state === 'completed' || state === 'failed') return state;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`job ${jobId} never finished`);
  }
});
