import { beforeAll, describe, expect, it } from 'vitest';
import { useStack } from './helpers/use-stack.ts';
import { execIn, fetchInNetns, runInVolume } from './helpers/docker.ts';
import { testEnv } from './helpers/env.ts';

/**
 * The `agent` fixture runtime: busybox httpd on port 8000 published on 127.0.0.1, a `workspace`
 * data volume at /workspace, its own network `dyt-<stack id>`, a healthcheck, a read-only
 * rootfs with a tmpfs /tmp.
 */
describe('workspace spec: endpoint, data volumes, runtime network, least privilege', () => {
  const stack = useStack();
  const image = testEnv().image;
  let id: string;
  let name: string;

  const inspect = () => stack.docker.getContainer(name).inspect();
  const restart = async (body: Record<string, unknown>) => {
    const answer = await stack.request('POST', `/v1/workspaces/${id}/restart`, { body });
    expect(answer.status).toBe(202);
    return stack.waitForJob(id, answer.body.jobId, 'online', 60_000);
  };
  /** the workspace's endpoint equals what the engine says (`docker port`, `docker inspect`), and the agent answers */
  const expectEndpointLive = async () => {
    const ws = (await stack.request('GET', `/v1/workspaces/${id}`)).body;
    const info = await inspect();
    const published = info.NetworkSettings.Ports['8000/tcp']![0]!;
    expect(ws.endpoint).toEqual({
      host: 'local',
      network: `dyt-${stack.id}`,
      alias: name,
      ports: { '8000/tcp': { hostIp: '127.0.0.1', hostPort: Number(published.HostPort) } },
    });
    expect(published.HostIp).toBe('127.0.0.1');
    expect(info.NetworkSettings.Networks[`dyt-${stack.id}`]!.Aliases).toContain(name);
    expect(await fetchInNetns(stack.docker, name, image, 'http://127.0.0.1:8000/')).toBe(`agent ${id}\n`);
    return ws.endpoint;
  };
  const keptFile = () => execIn(stack.docker, name, ['cat', '/workspace/notes.txt']);

  beforeAll(async () => {
    const created = await stack.create('agent', 'agent-1');
    id = created.workspace.id;
    name = created.workspace.containerName;
    await stack.waitForStatus(id, 'online', 60_000);
  });

  it('publishes the port on 127.0.0.1, joins the runtime network as ws-<id12>, and the workspace JSON says so', async () => {
    const endpoint = await expectEndpointLive();
    const shown = `8000/tcp → 127.0.0.1:${endpoint.ports['8000/tcp'].hostPort}`;
    for (const path of [`/admin/workspaces/${id}`, '/admin/workspaces']) {
      const page = await fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${stack.token}` } });
      expect(await page.text()).toContain(shown);
    }
    const net = await stack.docker.getNetwork(`dyt-${stack.id}`).inspect();
    expect(net.Labels).toMatchObject({ 'molecule.platform.managed': 'true', 'dockyard.installation': stack.installationId });
  });

  it('runs with least privilege: CapDrop ALL, no-new-privileges, pids limit, not privileged, named volumes only', async () => {
    const { HostConfig, Mounts } = await inspect();
    expect(HostConfig.CapDrop).toEqual(['ALL']);
    expect(HostConfig.CapAdd ?? []).toEqual([]);
    expect(HostConfig.SecurityOpt).toContain('no-new-privileges:true');
    expect(HostConfig.Privileged).toBe(false);
    expect(HostConfig.PidsLimit).toBe(32);
    expect(HostConfig.ReadonlyRootfs).toBe(true);
    expect(Mounts.map((m) => [m.Type, m.Name, m.Destination]).sort()).toEqual([
      ['volume', `${name}-configs`, '/configs'],
      ['volume', `${name}-workspace`, '/workspace'],
    ]);
    expect(JSON.stringify(HostConfig)).not.toContain('docker.sock');
    // a runtime that names no pids limit gets the default one, and every container drops ALL
    const solo = await stack.create('solo', 'solo-1');
    await stack.waitForStatus(solo.workspace.id, 'online', 60_000);
    const soloInfo = await stack.docker.getContainer(solo.workspace.containerName).inspect();
    expect(soloInfo.HostConfig).toMatchObject({ CapDrop: ['ALL'], PidsLimit: 512, Privileged: false });
    expect((await stack.request('GET', `/v1/workspaces/${solo.workspace.id}`)).body.endpoint).toEqual({ host: 'local', network: 'none', alias: null, ports: {} });
  });

  it('keeps /workspace through a restart, a recovery from an emptied config volume and applyTemplate; the endpoint follows each start', async () => {
    await execIn(stack.docker, name, ['sh', '-c', 'echo precious > /workspace/notes.txt']);

    await restart({ reason: 'plain restart' });
    await expectEndpointLive();
    expect(await keptFile()).toBe('precious\n');

    await stack.request('POST', `/v1/workspaces/${id}/stop`);
    await stack.waitForStatus(id, 'paused', 30_000);
    await stack.waitForIdle(id);
    expect((await stack.request('GET', `/v1/workspaces/${id}`)).body.endpoint).toBeNull(); // not online: no endpoint
    await runInVolume(stack.docker, `${name}-configs`, image, 'rm -rf /v/*');
    const recovered = await restart({ reason: 'recover' });
    expect(recovered.status).toBe('online');
    const events = await stack.events(id);
    expect(events.some((e) => /recovered from agent-default/.test(e.message ?? ''))).toBe(true);
    await expectEndpointLive();
    expect(await keptFile()).toBe('precious\n');

    await restart({ applyTemplate: true, reason: 'template' });
    await expectEndpointLive();
    expect(await keptFile()).toBe('precious\n');
    expect((await stack.events(id)).filter((e) => /data volumes kept as they were: workspace at \/workspace/.test(e.message ?? '')).length).toBe(3);
  });

  it('DELETE keeps the data volume; ?purge=true removes every volume of the workspace', async () => {
    const volumes = async (wsId: string) =>
      (await stack.docker.listVolumes({ filters: { label: [`dockyard.workspace-id=${wsId}`] } })).Volumes.map((v) => v.Name).sort();
    const other = await stack.create('agent', 'agent-2');
    await stack.waitForStatus(other.workspace.id, 'online', 60_000);
    const kept = await stack.request('DELETE', `/v1/workspaces/${other.workspace.id}`);
    await stack.waitForJob(other.workspace.id, kept.body.jobId, 'removed', 30_000);
    expect(await volumes(other.workspace.id)).toEqual([`${other.workspace.containerName}-configs`, `${other.workspace.containerName}-workspace`]);

    const purged = await stack.request('DELETE', `/v1/workspaces/${id}?purge=true`);
    const ws = await stack.waitForJob(id, purged.body.jobId, 'removed', 30_000);
    expect(await volumes(id)).toEqual([]);
    expect(ws.endpoint).toBeNull();
    const last = (await stack.events(id)).at(-1);
    expect(last.message).toContain(`data volumes purged: ${name}-workspace`);
  });
});
