import type Docker from 'dockerode';
import {
  INSTALLATION_LABEL,
  MANAGED_LABEL,
  ROLE_LABEL,
  PermanentError,
  TransientError,
  WORKSPACE_ID_LABEL,
  containerNameOf,
  volumeNameOf,
  type RuntimeSpec,
} from '@dockyard/shared';
import { dockerCall, statusOf } from './errors.ts';
import { packArchive, readArchive, type FileEntry, type VolumeFiles } from './volume-files.ts';
import { subscribeContainerEvents, type DockerEvent } from './container-events.ts';

export type { DockerEvent };

export const CONFIGS_PATH = '/configs';

export interface ContainerState {
  running: boolean;
  status: string;
  exitCode: number;
  health?: string;
  startedAt: string;
}

/**
 * Everything Dockyard does to Docker, behind one narrow interface. Names are
 * deterministic from the workspace id, every create is inspect-first and a 409
 * means "someone already did it". Only objects labelled managed are touched.
 */
export interface WorkspaceDocker {
  /** true when this call created the volume (so it is empty) */
  ensureVolume(workspaceId: string): Promise<boolean>;
  removeVolume(workspaceId: string): Promise<boolean>;
  readVolume(workspaceId: string, image: string, wanted: string[]): Promise<VolumeFiles>;
  writeVolume(workspaceId: string, image: string, entries: FileEntry[]): Promise<void>;
  /** remove the workspace's volume helper container, if any (end of every job) */
  releaseVolumeHelper(workspaceId: string): Promise<void>;
  inspectContainer(workspaceId: string): Promise<ContainerState | undefined>;
  /** create the container if missing; one left unlabelled by an older Dockyard is replaced (it is stopped by then) */
  ensureContainer(spec: ContainerSpec): Promise<'created' | 'exists' | 'relabelled'>;
  startContainer(workspaceId: string): Promise<void>;
  stopContainer(workspaceId: string, timeoutS: number): Promise<boolean>;
  removeContainer(workspaceId: string): Promise<boolean>;
  /** managed containers (managed label plus DOCKER_LABELS) of every installation; the caller sorts them by `installation` */
  listManagedContainers(): Promise<ManagedContainer[]>;
  /** remove a managed container by id (orphan clean-up); refuses one of another installation */
  removeContainerById(id: string): Promise<void>;
  /** container die/oom/health events of managed containers since a Docker timestamp ("seconds.nanos") */
  containerEvents(since: string, signal: AbortSignal): Promise<AsyncIterable<DockerEvent>>;
}

export interface ManagedContainer {
  id: string;
  name: string;
  workspaceId: string;
  role: string | undefined;
  running: boolean;
  /** the installation label, undefined on objects an older Dockyard (or the system it replaces) made */
  installation: string | undefined;
}


export interface ContainerSpec {
  workspaceId: string;
  runtime: RuntimeSpec;
  env: Record<string, string>;
}

export interface WorkspaceDockerOptions {
  network: string;
  extraLabels: Record<string, string>;
  /** this installation's id: on every object created, and required of every object touched by name */
  installationId: string;
}

export function makeWorkspaceDocker(docker: Docker, opts: WorkspaceDockerOptions): WorkspaceDocker {
  const labelsFor = (workspaceId: string, extra: Record<string, string> = {}) => ({
    ...opts.extraLabels,
    ...extra,
    [MANAGED_LABEL]: 'true',
    [INSTALLATION_LABEL]: opts.installationId,
    [WORKSPACE_ID_LABEL]: workspaceId,
  });

  async function inspectRaw(name: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await docker.getContainer(name).inspect();
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  /**
   * Only managed objects are touched, and never another installation's. An object with no
   * installation label is touched only by name for one of this installation's workspaces
   * (the caller knows it from Postgres) or once adopted: it was made by an older Dockyard.
   */
  function assertManaged(kind: string, name: string, labels: Record<string, string> | null | undefined) {
    if (labels?.[MANAGED_LABEL] !== 'true') {
      throw new PermanentError(`${kind} ${name} exists but is not labelled ${MANAGED_LABEL}=true; refusing to touch it`);
    }
    const owner = labels[INSTALLATION_LABEL];
    if (owner !== undefined && owner !== opts.installationId) {
      throw new PermanentError(`${kind} ${name} belongs to installation ${owner}, not ${opts.installationId}; refusing to touch it`);
    }
  }

  const helperNameOf = (workspaceId: string) => `${containerNameOf(workspaceId)}-helper`;

  /**
   * A never-started container that mounts the config volume, for copying files in and
   * out. One per workspace, reused by every volume step of a job; the job removes it
   * when it ends (releaseVolumeHelper).
   */
  async function volumeHelper(workspaceId: string, image: string): Promise<Docker.Container> {
    const name = helperNameOf(workspaceId);
    const existing = await inspectRaw(name);
    if (existing) {
      assertManaged('container', name, existing.Config.Labels);
      return docker.getContainer(name);
    }
    try {
      return await docker.createContainer({
        name,
        Image: image,
        Cmd: ['true'],
        Labels: labelsFor(workspaceId, { [ROLE_LABEL]: 'volume-helper' }),
        NetworkDisabled: true,
        HostConfig: { Binds: [`${volumeNameOf(workspaceId)}:${CONFIGS_PATH}`], NetworkMode: 'none', RestartPolicy: { Name: 'no' } },
      });
    } catch (err) {
      if (statusOf(err) === 409) return docker.getContainer(name); // created meanwhile
      throw err;
    }
  }

  async function removeHelper(workspaceId: string): Promise<void> {
    try {
      await docker.getContainer(helperNameOf(workspaceId)).remove({ force: true });
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  }

  const installationLabels = () => [`${MANAGED_LABEL}=true`, ...Object.entries(opts.extraLabels).map(([k, v]) => `${k}=${v}`)];

  return {
    async listManagedContainers() {
      const list = await dockerCall('list containers', () => docker.listContainers({ all: true, filters: { label: installationLabels() } }));
      return list.map((c) => ({
        id: c.Id,
        name: (c.Names[0] ?? '').replace(/^\//, ''),
        workspaceId: c.Labels[WORKSPACE_ID_LABEL] ?? '',
        role: c.Labels[ROLE_LABEL],
        running: c.State === 'running',
        installation: c.Labels[INSTALLATION_LABEL],
      }));
    },

    async removeContainerById(id) {
      await dockerCall(`remove container ${id}`, async () => {
        const info = await docker.getContainer(id).inspect();
        assertManaged('container', info.Name, info.Config.Labels);
        await docker.getContainer(id).remove({ force: true });
      });
    },

    containerEvents: (since, signal) => subscribeContainerEvents(docker, installationLabels(), since, signal),

    async ensureVolume(workspaceId) {
      const name = volumeNameOf(workspaceId);
      return dockerCall(`create volume ${name}`, async () => {
        try {
          const info = await docker.getVolume(name).inspect();
          assertManaged('volume', name, info.Labels);
          return false;
        } catch (err) {
          if (statusOf(err) !== 404) throw err;
        }
        await docker.createVolume({ Name: name, Labels: labelsFor(workspaceId) });
        return true;
      });
    },

    async removeVolume(workspaceId) {
      const name = volumeNameOf(workspaceId);
      return dockerCall(`remove volume ${name}`, async () => {
        try {
          const info = await docker.getVolume(name).inspect();
          assertManaged('volume', name, info.Labels);
          await removeHelper(workspaceId); // a volume still mounted by its helper cannot be removed
          await docker.getVolume(name).remove();
          return true;
        } catch (err) {
          if (statusOf(err) === 404) return false;
          throw err;
        }
      });
    },

    releaseVolumeHelper: (workspaceId) => dockerCall(`remove volume helper of ${workspaceId}`, () => removeHelper(workspaceId)),

    readVolume(workspaceId, image, wanted) {
      return dockerCall(`read volume ${volumeNameOf(workspaceId)}`, () =>
        volumeHelper(workspaceId, image).then(async (helper) => readArchive(await helper.getArchive({ path: `${CONFIGS_PATH}/.` }), wanted)),
      );
    },

    async writeVolume(workspaceId, image, entries) {
      const archive = await packArchive(entries);
      await dockerCall(`write volume ${volumeNameOf(workspaceId)}`, () =>
        volumeHelper(workspaceId, image).then((helper) => helper.putArchive(archive, { path: CONFIGS_PATH })),
      );
    },

    async inspectContainer(workspaceId) {
      const name = containerNameOf(workspaceId);
      const info = await dockerCall(`inspect container ${name}`, () => inspectRaw(name));
      if (!info) return undefined;
      assertManaged('container', name, info.Config.Labels);
      return {
        running: info.State.Running,
        status: info.State.Status,
        exitCode: info.State.ExitCode,
        health: (info.State as { Health?: { Status: string } }).Health?.Status,
        startedAt: info.State.StartedAt,
      };
    },

    async ensureContainer({ workspaceId, runtime, env }) {
      const name = containerNameOf(workspaceId);
      return dockerCall(`create container ${name}`, async () => {
        const existing = await inspectRaw(name);
        let outcome: 'created' | 'relabelled' = 'created';
        if (existing) {
          assertManaged('container', name, existing.Config.Labels);
          if (existing.Config.Labels?.[INSTALLATION_LABEL] === opts.installationId) return 'exists';
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
            Labels: labelsFor(workspaceId),
            HostConfig: {
              Binds: [`${volumeNameOf(workspaceId)}:${CONFIGS_PATH}`],
              // Dockyard, not the Docker daemon, owns restarts.
              RestartPolicy: { Name: 'no' },
              NetworkMode: opts.network,
              Memory: runtime.memoryMb ? runtime.memoryMb * 1024 * 1024 : undefined,
              NanoCpus: runtime.cpus ? Math.round(runtime.cpus * 1e9) : undefined,
              PidsLimit: runtime.pidsLimit,
            },
          });
        } catch (err) {
          if (statusOf(err) !== 409) throw err; // someone created it meanwhile: fine
          return 'exists';
        }
        return outcome;
      });
    },

    async startContainer(workspaceId) {
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

    async stopContainer(workspaceId, timeoutS) {
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

    async removeContainer(workspaceId) {
      const name = containerNameOf(workspaceId);
      return dockerCall(`remove container ${name}`, async () => {
        const existing = await inspectRaw(name);
        if (!existing) return false;
        assertManaged('container', name, existing.Config.Labels);
        try {
          await docker.getContainer(name).remove({ force: true });
          return true;
        } catch (err) {
          if (statusOf(err) === 404) return false;
          throw err;
        }
      });
    },
  };
}
