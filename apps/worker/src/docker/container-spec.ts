import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { DEFAULT_PIDS_LIMIT, containerNameOf, volumeNameOf, type RuntimeSpec } from '@dockyard/shared';
import { CONFIGS_PATH } from './volume-helper.ts';
import type { ContainerSpec } from './types.ts';

/** The label holding a hash of everything a container was created from, so a restart can tell it is out of date. */
export const SPEC_LABEL = 'dockyard.spec';

/** `ws-<id12>-<name>`: a data volume of the workspace, beside its config volume. */
export const dataVolumeNameOf = (workspaceId: string, name: string): string => `${containerNameOf(workspaceId)}-${name}`;

/** The network a runtime's containers join: its own, else WORKSPACE_NETWORK. */
export const networkOf = (runtime: RuntimeSpec, fallback: string): string => runtime.network ?? fallback;

/** Only a user-defined network carries the `ws-<id12>` alias (Docker refuses aliases elsewhere). */
export const takesAlias = (network: string): boolean => !['none', 'host', 'bridge', 'default'].includes(network) && !network.startsWith('container:');

const ms = (v: number | undefined) => (v === undefined ? undefined : v * 1_000_000);

/**
 * The engine's create options for a workspace container. Least privilege whatever the runtime
 * says: every capability dropped (the manifest's capAdd gives back some of Docker's defaults),
 * no-new-privileges, a pids limit, never privileged, and only named volumes (the manifest
 * cannot name a host path, so neither the Docker socket nor any host folder is ever mounted).
 */
export function containerOptions(spec: ContainerSpec, fallbackNetwork: string, labels: Record<string, string>): Docker.ContainerCreateOptions {
  const { workspaceId, runtime, env } = spec;
  const name = containerNameOf(workspaceId);
  const network = networkOf(runtime, fallbackNetwork);
  const ports = runtime.ports ?? [];
  const body: Docker.ContainerCreateOptions = {
    name,
    Image: runtime.image,
    Cmd: runtime.cmd,
    Env: Object.entries({ ...runtime.env, ...env, DOCKYARD_WORKSPACE_ID: workspaceId }).map(([k, v]) => `${k}=${v}`),
    User: runtime.user,
    ExposedPorts: ports.length ? Object.fromEntries(ports.map((p) => [`${p.container}/${p.protocol}`, {}])) : undefined,
    Healthcheck: runtime.healthcheck && {
      Test: runtime.healthcheck.test,
      Interval: ms(runtime.healthcheck.intervalMs),
      Timeout: ms(runtime.healthcheck.timeoutMs),
      Retries: runtime.healthcheck.retries,
      StartPeriod: ms(runtime.healthcheck.startPeriodMs),
    },
    HostConfig: {
      Binds: [`${volumeNameOf(workspaceId)}:${CONFIGS_PATH}`, ...(runtime.volumes ?? []).map((v) => `${dataVolumeNameOf(workspaceId, v.name)}:${v.path}`)],
      // Dockyard, not the Docker daemon, owns restarts.
      RestartPolicy: { Name: 'no' },
      NetworkMode: network,
      PortBindings: ports.length
        ? Object.fromEntries(ports.map((p) => [`${p.container}/${p.protocol}`, [{ HostIp: p.hostIp, HostPort: p.host ? String(p.host) : '' }]]))
        : undefined,
      Memory: runtime.memoryMb ? runtime.memoryMb * 1024 * 1024 : undefined,
      NanoCpus: runtime.cpus ? Math.round(runtime.cpus * 1e9) : undefined,
      PidsLimit: runtime.pidsLimit ?? DEFAULT_PIDS_LIMIT,
      Privileged: false,
      CapDrop: ['ALL'],
      CapAdd: runtime.capAdd?.length ? runtime.capAdd : undefined,
      SecurityOpt: ['no-new-privileges:true'],
      ReadonlyRootfs: runtime.readOnlyRootfs ?? false,
      Tmpfs: runtime.tmpfs,
    },
    NetworkingConfig: takesAlias(network) ? { EndpointsConfig: { [network]: { Aliases: [name] } } } : undefined,
  };
  return { ...body, Labels: { ...labels, [SPEC_LABEL]: specHash(body) } };
}

/** A stable hash of the create options (env values included: a changed secret means a new container). */
function specHash(body: Docker.ContainerCreateOptions): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 32);
}
