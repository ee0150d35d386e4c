import type { DataVolumeSpec, RuntimeSpec } from '@dockyard/shared';
import type { FileEntry } from './volume-files.ts';
import type { DockerEvent } from './container-events.ts';

export interface ContainerState {
  running: boolean;
  status: string;
  exitCode: number;
  health?: string;
  startedAt: string;
  /** where it is reached (from the same inspect), when asked with its runtime */
  endpoint?: ContainerEndpoint;
}

export interface ManagedContainer {
  id: string;
  name: string;
  workspaceId: string;
  role: string | undefined;
  running: boolean;
  /** the installation label, undefined on objects an older Dockyard (or the system it replaces) made */
  installation: string | undefined;
  /** the host label, undefined on objects made before the fleet */
  host: string | undefined;
}

/** Where a running workspace container is reached (the host is added by the caller). */
export interface ContainerEndpoint {
  network: string;
  /** `ws-<id12>` on a runtime network, null on none/bridge */
  alias: string | null;
  /** "8000/tcp" → where the engine published it */
  ports: Record<string, { hostIp: string; hostPort: number }>;
}

export interface ContainerSpec {
  workspaceId: string;
  runtime: RuntimeSpec;
  env: Record<string, string>;
}

/**
 * Everything Dockyard does to a Docker engine, behind one narrow interface (the seam
 * another host or backend plugs into). Names are deterministic from the workspace id,
 * every create is inspect-first and a 409 means "someone already did it". Only managed
 * objects are touched, never another installation's.
 */
export interface WorkspaceDocker {
  /** true when this call created the volume (so it is empty) */
  ensureVolume(workspaceId: string): Promise<boolean>;
  removeVolume(workspaceId: string): Promise<boolean>;
  /** the runtime's data volumes, created when missing (never seeded, never written); the names created */
  ensureDataVolumes(workspaceId: string, specs: readonly DataVolumeSpec[]): Promise<string[]>;
  /** every data volume of the workspace on this engine; the names removed (a purge) */
  removeDataVolumes(workspaceId: string): Promise<string[]>;
  /** a runtime's own network, created (labelled) when missing */
  ensureNetwork(name: string): Promise<void>;
  /** the regular files in the config volume, as paths relative to its root */
  listVolumeFiles(workspaceId: string, image: string): Promise<Set<string>>;
  /** ensureVolume, then listVolumeFiles, with one engine inspect of the volume for both */
  ensureVolumeFiles(workspaceId: string, image: string): Promise<{ created: boolean; files: Set<string> }>;
  writeVolume(workspaceId: string, image: string, entries: FileEntry[]): Promise<void>;
  /** the config volume as a tar (entries `./…`), or undefined when there is no volume */
  exportVolume(workspaceId: string, image: string): Promise<Buffer | undefined>;
  /** write a tar made by exportVolume into the config volume */
  importVolume(workspaceId: string, image: string, archive: Buffer): Promise<void>;
  /** remove the workspace's volume helper container, if any (end of every job); `onlyIfUsed`: only one this process used */
  releaseVolumeHelper(workspaceId: string, opts?: { onlyIfUsed?: boolean }): Promise<void>;
  /** with `runtime`: also where the container is reached (its published ports, network and alias) */
  inspectContainer(workspaceId: string, runtime?: RuntimeSpec): Promise<ContainerState | undefined>;
  /**
   * create the container if missing; one left unlabelled by an older Dockyard is made anew
   * (`relabelled`), and so is one created from another spec — env, image, ports… (`replaced`)
   */
  ensureContainer(spec: ContainerSpec): Promise<'created' | 'exists' | 'relabelled' | 'replaced'>;
  startContainer(workspaceId: string): Promise<void>;
  /** true when it was running */
  stopContainer(workspaceId: string, timeoutS: number): Promise<boolean>;
  /** true when there was one to remove */
  removeContainer(workspaceId: string): Promise<boolean>;
  /** managed containers (managed label plus DOCKER_LABELS) of every installation; the caller sorts them by `installation` */
  listManagedContainers(): Promise<ManagedContainer[]>;
  /** remove a managed container by id (orphan clean-up); refuses one of another installation */
  removeContainerById(id: string): Promise<void>;
  /** container die/oom/health events of managed containers since a Docker timestamp ("seconds.nanos") */
  containerEvents(since: string, signal: AbortSignal): Promise<AsyncIterable<DockerEvent>>;
}
