import type Docker from 'dockerode';
import { makeLabels, type LabelOptions } from './labels.ts';
import { makeVolumeHelper } from './volume-helper.ts';
import { makeVolumes } from './volumes.ts';
import { makeLocalVolumeReader } from './volume-local.ts';
import { makeContainers } from './containers.ts';
import { makeNetworks } from './networks.ts';
import { subscribeContainerEvents } from './container-events.ts';
import type { WorkspaceDocker } from './types.ts';

export type { ContainerEndpoint, ContainerSpec, ContainerState, ManagedContainer, WorkspaceDocker } from './types.ts';
export type { DockerEvent } from './container-events.ts';

export interface WorkspaceDockerOptions extends LabelOptions {
  /** WORKSPACE_NETWORK: the network mode of workspace containers */
  network: string;
  /** DOCKER_LOCAL_VOLUMES: read config volumes from the engine's folder when this process sees it (default), or always through the engine */
  localVolumeReads?: boolean;
}

export function makeWorkspaceDocker(docker: Docker, opts: WorkspaceDockerOptions): WorkspaceDocker {
  const labels = makeLabels(opts);
  const helper = makeVolumeHelper(docker, labels, makeLocalVolumeReader(docker, opts.localVolumeReads ?? true));
  const volumes = makeVolumes(docker, labels, helper.remove);
  return {
    ...volumes,
    ensureVolume: async (workspaceId) => (await volumes.inspectOrCreateVolume(workspaceId)) === undefined,
    ensureVolumeFiles: async (workspaceId, image) => {
      const known = await volumes.inspectOrCreateVolume(workspaceId);
      return { created: known === undefined, files: await helper.listFiles(workspaceId, image, known) };
    },
    exportVolume: async (workspaceId, image) => ((await volumes.hasVolume(workspaceId)) ? helper.exportArchive(workspaceId, image) : undefined),
    importVolume: helper.importArchive,
    ...makeContainers(docker, labels, opts.network),
    ...makeNetworks(docker, labels),
    listVolumeFiles: helper.listFiles,
    writeVolume: helper.write,
    releaseVolumeHelper: helper.release,
    containerEvents: (since, signal) => subscribeContainerEvents(docker, labels.scope(), since, signal),
  };
}
