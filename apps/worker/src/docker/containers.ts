import type Docker from 'dockerode';
import { HOST_LABEL, INSTALLATION_LABEL, ROLE_LABEL, TransientError, WORKSPACE_ID_LABEL, containerNameOf, volumeNameOf } from '@dockyard/shared';
import { dockerCall, statusOf } from './errors.ts';
import { inspectOrUndefined } from './inspect.ts';
import type { DockerLabels } from './labels.ts';
import { CONFIGS_PATH } from './volume-helper.ts';
import type { ContainerSpec, ContainerState, ManagedContainer } from './types.ts';

/** Workspace containers: deterministic names, inspect before create, a 409 means someone did it. */
export function makeContainers(docker: Docker, labels: DockerLabels, network: string) {
  return {
    async inspectContainer(workspaceId: string): Promise<ContainerState | undefined> {
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
      };
    },

    async ensureContainer({ workspaceId, runtime, env }: ContainerSpec): Promise<'created' | 'exists' | 'relabelled'> {
      const name = containerNameOf(workspaceId);
      return dockerCall(`create container ${name}`, async () => {
        const existing = await inspectOrUndefined(docker, name);
        let outcome: 'created' | 'relabelled' = 'created';
        if (existing) {
          labels.assertManaged('container', name, existing.Config.Labels);
          if (labels.isOwn(existing.Config.Labels)) return 'exists';
          // Made by an older Dockyard: Docker cannot relabel a container, so make it anew
          // (its state lives in the config volume, and the job has stopped it by now).
          await docker.getContainer(name).remove({ force: true });
          outcome = 'relabelled';
        }
        try {
          await docker.createContainer({
            name,
            Image: runtime.image,
            Cmd: runtime.cmd,
            Env: Object.entries({ ...runtime.env, ...env, DOCKYARD_WORKSPACE_ID: workspaceId }).map(([k, v]) => `${k}=${v}`),
            Labels: labels.of(workspaceId),
            HostConfig: {
              Binds: [`${volumeNameOf(workspaceId)}:${CONFIGS_PATH}`],
              // Dockyard, not the Docker daemon, owns restarts.
              RestartPolicy: { Name: 'no' },
              NetworkMode: network,
              Memory: runtime.memoryMb ? runtime.memoryMb * 1024 * 1024 : undefined,
              NanoCpus: runtime.cpus ? Math.round(runtime.cpus * 1e9) : undefined,
              PidsLimit: runtime.pidsLimit,
            },
          });
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
