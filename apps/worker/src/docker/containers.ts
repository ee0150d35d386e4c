import type Docker from 'dockerode';
import { HOST_LABEL, INSTALLATION_LABEL, ROLE_LABEL, TransientError, WORKSPACE_ID_LABEL, containerNameOf, type RuntimeSpec } from '@dockyard/shared';
import { dockerCall, statusOf } from './errors.ts';
import { inspectOrUndefined } from './inspect.ts';
import type { DockerLabels } from './labels.ts';
import { SPEC_LABEL, containerOptions, networkOf } from './container-spec.ts';
import type { ContainerEndpoint, ContainerSpec, ContainerState, ManagedContainer } from './types.ts';

/** Workspace containers: deterministic names, inspect before create, a 409 means someone did it; `network` is WORKSPACE_NETWORK. */
export function makeContainers(docker: Docker, labels: DockerLabels, network: string) {
  return {
    async inspectContainer(workspaceId: string, runtime?: RuntimeSpec): Promise<ContainerState | undefined> {
      const name = containerNameOf(workspaceId);
      const info = await dockerCall(`inspect container ${name}`, () => inspectOrUndefined(docker, name));
      if (!info) return undefined;
      labels.assertManaged('container', name, info.Config.Labels);
      return {
        running: info.State.Running,
        status: info.State.Status,
        exitCode: info.State.ExitCode,
        health: (info.State as { Health?: { Status: string } }).Health?.Status,
        startedAt: info.State.StartedAt,
        endpoint: runtime && endpointOf(info, networkOf(runtime, network), name),
      };
    },

    async ensureContainer(spec: ContainerSpec): Promise<'created' | 'exists' | 'relabelled' | 'replaced'> {
      const name = containerNameOf(spec.workspaceId);
      const wanted = containerOptions(spec, network, labels.of(spec.workspaceId));
      return dockerCall(`create container ${name}`, async () => {
        const existing = await inspectOrUndefined(docker, name);
        let outcome: 'created' | 'relabelled' | 'replaced' = 'created';
        if (existing) {
          labels.assertManaged('container', name, existing.Config.Labels);
          const own = labels.isOwn(existing.Config.Labels);
          if (own && existing.Config.Labels[SPEC_LABEL] === wanted.Labels![SPEC_LABEL]) return 'exists';
          // Made by an older Dockyard, or from another spec (env, image, ports… changed): Docker
          // cannot change a container, so make it anew (its state lives in its volumes, and the
          // job has stopped it by now).
          await docker.getContainer(name).remove({ force: true });
          outcome = own ? 'replaced' : 'relabelled';
        }
        try {
          await docker.createContainer(wanted);
        } catch (err) {
          if (statusOf(err) !== 409) throw err;
          return 'exists'; // someone created it meanwhile: fine
        }
        return outcome;
      });
    },

    async startContainer(workspaceId: string): Promise<void> {
      const name = containerNameOf(workspaceId);
      await dockerCall(`start container ${name}`, async () => {
        try {
          await docker.getContainer(name).start();
        } catch (err) {
          if (statusOf(err) === 304) return; // already running
          if (statusOf(err) === 404) throw new TransientError(`container ${name} vanished before start`, { cause: err });
          throw err;
        }
      });
    },

    /** true when it was running */
    async stopContainer(workspaceId: string, timeoutS: number): Promise<boolean> {
      const name = containerNameOf(workspaceId);
      return dockerCall(`stop container ${name}`, async () => {
        try {
          await docker.getContainer(name).stop({ t: timeoutS });
          return true;
        } catch (err) {
          if (statusOf(err) === 304 || statusOf(err) === 404) return false;
          throw err;
        }
      });
    },

    /** true when there was one to remove */
    async removeContainer(workspaceId: string): Promise<boolean> {
      const name = containerNameOf(workspaceId);
      return dockerCall(`remove container ${name}`, async () => {
        const existing = await inspectOrUndefined(docker, name);
        if (!existing) return false;
        labels.assertManaged('container', name, existing.Config.Labels);
        try {
          await docker.getContainer(name).remove({ force: true });
          return true;
        } catch (err) {
          if (statusOf(err) === 404) return false;
          throw err;
        }
      });
    },

    async listManagedContainers(): Promise<ManagedContainer[]> {
      const list = await dockerCall('list containers', () => docker.listContainers({ all: true, filters: { label: labels.scope() } }));
      return list.map((c) => ({
        id: c.Id,
        name: (c.Names[0] ?? '').replace(/^\//, ''),
        workspaceId: c.Labels[WORKSPACE_ID_LABEL] ?? '',
        role: c.Labels[ROLE_LABEL],
        running: c.State === 'running',
        installation: c.Labels[INSTALLATION_LABEL],
        host: c.Labels[HOST_LABEL],
      }));
    },

    async removeContainerById(id: string): Promise<void> {
      await dockerCall(`remove container ${id}`, async () => {
        const info = await docker.getContainer(id).inspect();
        labels.assertManaged('container', info.Name, info.Config.Labels);
        await docker.getContainer(id).remove({ force: true });
      });
    },
  };
}

/** Where a running container is reached: its published ports, the network it is on and its alias there. */
function endpointOf(info: Docker.ContainerInspectInfo, net: string, name: string): ContainerEndpoint {
  const ports: ContainerEndpoint['ports'] = {};
  for (const [port, bindings] of Object.entries(info.NetworkSettings.Ports ?? {})) {
    const b = bindings?.[0];
    if (b?.HostPort) ports[port] = { hostIp: b.HostIp, hostPort: Number(b.HostPort) };
  }
  const aliases = info.NetworkSettings.Networks?.[net]?.Aliases ?? [];
  return { network: net, alias: aliases.includes(name) ? name : null, ports };
}
