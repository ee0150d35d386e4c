import { describe, expect, it } from 'vitest';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useStack } from './helpers/use-stack.ts';
import { readVolumeFile } from './helpers/docker.ts';
import { testEnv } from './helpers/env.ts';

describe('provision job, end to end on real Redis, Postgres and Docker', () => {
  const stack = useStack();
  const image = testEnv().image;

  it('creates a workspace that reaches online with its container, labels, restart policy and seeded volume', async () => {
    const created = await stack.create('busybox', 'first');
    expect(created.workspace.status).toBe('provisioning');
    expect(created.jobId).toBe(`${created.workspace.id}.1`);
    const id: string = created.workspace.id;
    const ws = await stack.waitForStatus(id, 'online');
    expect(ws.containerName).toBe(`ws-${id.slice(0, 12)}`);
    expect(ws.configVolume).toBe(`ws-${id.slice(0, 12)}-configs`);
    expect(ws.step).toBeNull();

    const info = await stack.docker.getContainer(ws.containerName).inspect();
    expect(info.State.Running).toBe(true);
    expect(info.Config.Labels['molecule.platform.managed']).toBe('true');
    expect(info.Config.Labels['dockyard.workspace-id']).toBe(id);
    expect(info.HostConfig.RestartPolicy?.Name).toBe('no');
    expect(info.HostConfig.NetworkMode).toBe('none');
    expect(info.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(info.Config.Env).toContain('RUNTIME_FLAVOUR=busybox');
    const vol = await stack.docker.getVolume(ws.configVolume).inspect();
    expect(vol.Labels['molecule.platform.managed']).toBe('true');
    expect(vol.Labels['dockyard.workspace-id']).toBe(id);

    expect(await readVolumeFile(stack.docker, ws.configVolume, image, 'config.yaml')).toContain('agent: default-template');
    expect(await readVolumeFile(stack.docker, ws.configVolume, image, 'skills/readme.md')).toBe('hello\n');
    const marker = JSON.parse((await readVolumeFile(stack.docker, ws.configVolume, image, '.provisioned'))!);
    expect(marker).toMatchObject({ workspaceId: id, runtime: 'busybox', template: 'busybox-default' });
    expect(Date.parse(marker.at)).not.toBeNaN();

    const events = await stack.request('GET', `/v1/workspaces/${id}/events`);
    const transitions = events.body.items.filter((e: any) => e.from !== e.to).map((e: any) => [e.from, e.to]);
    expect(transitions).toEqual([
      ['provisioning', 'online'],
      [null, 'provisioning'],
    ]);
    expect(events.body.items[0].message).toBe('provisioned from busybox-default');
    // no helper container is left behind once the job has let go of the workspace
    await stack.waitForIdle(id);
    const helpers = await stack.docker.listContainers({ all: true, filters: { name: [`${ws.containerName}-helper`] } });
    expect(helpers).toHaveLength(0);
  });

  it('provisions from the plain <runtime>/ template when there is no -default one', async () => {
    const { workspace } = await stack.create('solo');
    const ws = await stack.waitForStatus(workspace.id, 'online');
    expect(await readVolumeFile(stack.docker, ws.configVolume, image, 'config.yaml')).toContain('agent: solo-template');
    const marker = JSON.parse((await readVolumeFile(stack.docker, ws.configVolume, image, '.provisioned'))!);
    expect(marker.template).toBe('solo');
  });

  it('fails a runtime with no template at once, naming the folders it looked for', async () => {
    const { workspace } = await stack.create('notemplate');
    const ws = await stack.waitForStatus(workspace.id, 'failed');
    expect(ws.lastError).toContain('no template for runtime notemplate');
    expect(ws.lastError).toContain(join(stack.templatesDir, 'notemplate-default', 'config.yaml'));
    expect(ws.lastError).toContain(join(stack.templatesDir, 'notemplate', 'config.yaml'));
    const events = await stack.request('GET', `/v1/workspaces/${workspace.id}/events`);
    // permanent: exactly one attempt
    expect(events.body.items[0]).toMatchObject({ from: 'provisioning', to: 'failed', attempt: 1 });
    // nothing was started
    await expect(stack.docker.getContainer(ws.containerName).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('fails a runtime whose image does not exist, permanently, without retries', async () => {
    const { workspace } = await stack.create('noimage');
    const ws = await stack.waitForStatus(workspace.id, 'failed');
    expect(ws.lastError).toMatch(/image not found/);
    const events = await stack.request('GET', `/v1/workspaces/${workspace.id}/events`);
    expect(events.body.items[0].attempt).toBe(1);
  });

  it('refuses a template holding a symlink that points outside the template folder and copies nothing', async () => {
    const outside = join(stack.templatesDir, '..', 'secret.txt');
    writeFileSync(outside, 'TOP-SECRET\n');
    const tpl = join(stack.templatesDir, 'busybox-default');
    symlinkSync(outside, join(tpl, 'leak.txt'));
    try {
      const { workspace } = await stack.create('busybox', 'symlinked');
      const ws = await stack.waitForStatus(workspace.id, 'failed');
      expect(ws.lastError).toContain('leak.txt is a symlink pointing outside the template folder');
      expect(await readVolumeFile(stack.docker, ws.configVolume, image, 'leak.txt')).toBeUndefined();
      expect(await readVolumeFile(stack.docker, ws.configVolume, image, 'config.yaml')).toBeUndefined();
    } finally {
      rmSync(join(tpl, 'leak.txt'));
    }
  });

  it('refuses a template reaching out through a relative ../ link too', async () => {
    const tpl = join(stack.templatesDir, 'solo');
    mkdirSync(join(tpl, 'nested'), { recursive: true });
    symlinkSync('../../busybox/config.yaml', join(tpl, 'nested', 'up.yaml'));
    try {
      const { workspace } = await stack.create('solo', 'dotdot');
      const ws = await stack.waitForStatus(workspace.id, 'failed');
      expect(ws.lastError).toContain('nested/up.yaml is a symlink pointing outside');
    } finally {
      rmSync(join(tpl, 'nested'), { recursive: true });
    }
  });
});
