import type Docker from 'dockerode';
import { ROLE_LABEL, WORKSPACE_ID_LABEL, volumeNameOf, type DataVolumeSpec } from '@dockyard/shared';
import { dataVolumeNameOf } from './container-spec.ts';
import { dockerCall, statusOf } from './errors.ts';
import type { DockerLabels } from './labels.ts';

/** Config and data volumes: created inspect-first, removed only when this installation may. */
export function makeVolumes(docker: Docker, labels: DockerLabels, removeHelper: (workspaceId: string) => Promise<void>) {
  return {
    /** the config volume's inspect, or undefined when this call created it (so it is empty); WorkspaceDocker's ensureVolume and ensureVolumeFiles */
    async inspectOrCreateVolume(workspaceId: string): Promise<Docker.VolumeInspectInfo | undefined> {
      const name = volumeNameOf(workspaceId);
      return dockerCall(`create volume ${name}`, async () => {
        try {
          const info = await docker.getVolume(name).inspect();
          labels.assertManaged('volume', name, info.Labels);
          return info;
        } catch (err) {
          if (statusOf(err) !== 404) throw err;
        }
        await docker.createVolume({ Name: name, Labels: labels.of(workspaceId) });
        return undefined;
      });
    },

    /** does the config volume exist (and may this installation touch it)? */
    async hasVolume(workspaceId: string): Promise<boolean> {
      const name = volumeNameOf(workspaceId);
      return dockerCall(`inspect volume ${name}`, async () => {
        try {
          labels.assertManaged('volume', name, (await docker.getVolume(name).inspect()).Labels);
          return true;
        } catch (err) {
          if (statusOf(err) === 404) return false;
          throw err;
        }
      });
    },

    async removeVolume(workspaceId: string): Promise<boolean> {
      const name = volumeNameOf(workspaceId);
      return dockerCall(`remove volume ${name}`, async () => {
        try {
          const info = await docker.getVolume(name).inspect();
          labels.assertManaged('volume', name, info.Labels);
          await removeHelper(workspaceId); // a volume still mounted by its helper cannot be removed
          await docker.getVolume(name).remove();
          return true;
        } catch (err) {
          if (statusOf(err) === 404) return false;
          throw err;
        }
      });
    },

    /** the runtime's data volumes (`ws-<id12>-<name>`): created when missing, never written by Dockyard; the names created */
    async ensureDataVolumes(workspaceId: string, specs: readonly DataVolumeSpec[]): Promise<string[]> {
      const created: string[] = [];
      for (const spec of specs) {
        const name = dataVolumeNameOf(workspaceId, spec.name);
        await dockerCall(`create volume ${name}`, async () => {
          try {
            labels.assertManaged('volume', name, (await docker.getVolume(name).inspect()).Labels);
            return;
          } catch (err) {
            if (statusOf(err) !== 404) throw err;
          }
          await docker.createVolume({ Name: name, Labels: labels.of(workspaceId, { [ROLE_LABEL]: 'data' }) });
          created.push(name);
        });
      }
      return created;
    },

    /** every data volume of the workspace on this engine (a purge); the names removed */
    async removeDataVolumes(workspaceId: string): Promise<string[]> {
      const filters = { label: [...labels.scope(), `${WORKSPACE_ID_LABEL}=${workspaceId}`, `${ROLE_LABEL}=data`] };
      const { Volumes } = await dockerCall('list volumes', () => docker.listVolumes({ filters }));
      const removed: string[] = [];
      for (const v of Volumes ?? []) {
        labels.assertManaged('volume', v.Name, v.Labels);
        await dockerCall(`remove volume ${v.Name}`, async () => {
          try {
            await docker.getVolume(v.Name).remove();
            removed.push(v.Name);
          } catch (err) {
            if (statusOf(err) !== 404) throw err;
          }
        });
      }
      return removed;
    },
  };
}
