import type Docker from 'dockerode';
import { volumeNameOf } from '@dockyard/shared';
import { dockerCall, statusOf } from './errors.ts';
import type { DockerLabels } from './labels.ts';

/** Config volumes: created inspect-first, removed only when this installation may. */
export function makeVolumes(docker: Docker, labels: DockerLabels, removeHelper: (workspaceId: string) => Promise<void>) {
  return {
    /** true when this call created the volume (so it is empty) */
    async ensureVolume(workspaceId: string): Promise<boolean> {
      const name = volumeNameOf(workspaceId);
      return dockerCall(`create volume ${name}`, async () => {
        try {
          const info = await docker.getVolume(name).inspect();
          labels.assertManaged('volume', name, info.Labels);
          return false;
        } catch (err) {
          if (statusOf(err) !== 404) throw err;
        }
        await docker.createVolume({ Name: name, Labels: labels.of(workspaceId) });
        return true;
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
  };
}
