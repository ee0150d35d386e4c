import type Docker from 'dockerode';
import { ROLE_LABEL, containerNameOf, volumeNameOf } from '@dockyard/shared';
import { dockerCall, statusOf } from './errors.ts';
import { inspectOrUndefined } from './inspect.ts';
import type { DockerLabels } from './labels.ts';
import { packArchive, listArchiveFiles, type FileEntry } from './volume-files.ts';
import type { makeLocalVolumeReader } from './volume-local.ts';

export const CONFIGS_PATH = '/configs';

const helperNameOf = (workspaceId: string) => `${containerNameOf(workspaceId)}-helper`;

const mountsConfigVolume = (info: Docker.ContainerInspectInfo, workspaceId: string) =>
  info.Mounts.some((m) => m.Type === 'volume' && m.Name === volumeNameOf(workspaceId) && m.Destination === CONFIGS_PATH);

/**
 * Files in and out of a config volume. Through the workspace's own container when it exists
 * and mounts the volume (Docker's archive API works on a stopped container: a restart needs
 * no second container), else through a never-started helper container that mounts it: one
 * per workspace, reused by every volume step of a job and removed when the job ends (`release`).
 */
export function makeVolumeHelper(docker: Docker, labels: DockerLabels, local?: ReturnType<typeof makeLocalVolumeReader>) {
  /** workspaces whose helper this process found or made and has not removed since */
  const inUse = new Set<string>();

  async function helper(workspaceId: string, image: string): Promise<Docker.Container> {
    const own = await inspectOrUndefined(docker, containerNameOf(workspaceId));
    if (own && mountsConfigVolume(own, workspaceId)) {
      labels.assertManaged('container', containerNameOf(workspaceId), own.Config.Labels);
      return docker.getContainer(containerNameOf(workspaceId));
    }
    inUse.add(workspaceId);
    const name = helperNameOf(workspaceId);
    const existing = await inspectOrUndefined(docker, name);
    if (existing) {
      labels.assertManaged('container', name, existing.Config.Labels);
      return docker.getContainer(name);
    }
    try {
      return await docker.createContainer({
        name,
        Image: image,
        Cmd: ['true'],
        Labels: labels.of(workspaceId, { [ROLE_LABEL]: 'volume-helper' }),
        NetworkDisabled: true,
        HostConfig: { Binds: [`${volumeNameOf(workspaceId)}:${CONFIGS_PATH}`], NetworkMode: 'none', RestartPolicy: { Name: 'no' } },
      });
    } catch (err) {
      if (statusOf(err) === 409) return docker.getContainer(name); // created meanwhile
      throw err;
    }
  }

  async function remove(workspaceId: string): Promise<void> {
    try {
      await docker.getContainer(helperNameOf(workspaceId)).remove({ force: true });
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    inUse.delete(workspaceId);
  }

  return {
    /** remove the helper (a volume still mounted by it cannot be removed); no Docker error classification */
    remove,

    /**
     * End of a job: remove the helper. `onlyIfUsed`: skip the engine when this process used none
     * for the workspace (a job that is the workspace's first since a clean release, and read its
     * volume from the engine's folder or through its own container, has none to remove).
     */
    release: (workspaceId: string, opts: { onlyIfUsed?: boolean } = {}) =>
      opts.onlyIfUsed && !inUse.has(workspaceId) ? Promise.resolve() : dockerCall(`remove volume helper of ${workspaceId}`, () => remove(workspaceId)),

    /** the regular files in the volume, as paths relative to its root (from its folder when this process sees it; `known`: the volume's inspect, just made) */
    listFiles(workspaceId: string, image: string, known?: Docker.VolumeInspectInfo): Promise<Set<string>> {
      return dockerCall(`read volume ${volumeNameOf(workspaceId)}`, async () => {
        const files = await local?.listFiles(volumeNameOf(workspaceId), known);
        return files ?? listArchiveFiles(await (await helper(workspaceId, image)).getArchive({ path: `${CONFIGS_PATH}/.` }));
      });
    },

    async exportArchive(workspaceId: string, image: string): Promise<Buffer> {
      return dockerCall(`export volume ${volumeNameOf(workspaceId)}`, async () => {
        const stream = await (await helper(workspaceId, image)).getArchive({ path: `${CONFIGS_PATH}/.` });
        const chunks: Buffer[] = [];
        for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
        return Buffer.concat(chunks);
      });
    },

    async importArchive(workspaceId: string, image: string, archive: Buffer): Promise<void> {
      await dockerCall(`import volume ${volumeNameOf(workspaceId)}`, async () =>
        (await helper(workspaceId, image)).putArchive(archive, { path: CONFIGS_PATH }),
      );
    },

    async write(workspaceId: string, image: string, entries: FileEntry[]): Promise<void> {
      const archive = await packArchive(entries);
      await dockerCall(`write volume ${volumeNameOf(workspaceId)}`, async () =>
        (await helper(workspaceId, image)).putArchive(archive, { path: CONFIGS_PATH }),
      );
    },
  };
}
