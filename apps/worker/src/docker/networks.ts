import type Docker from 'dockerode';
import { dockerCall, statusOf } from './errors.ts';
import type { DockerLabels } from './labels.ts';

/** A runtime's own network: created (labelled, so it is known as Dockyard's) the first time a container needs it. */
export function makeNetworks(docker: Docker, labels: DockerLabels) {
  return {
    async ensureNetwork(name: string): Promise<void> {
      await dockerCall(`create network ${name}`, async () => {
        try {
          await docker.getNetwork(name).inspect();
        } catch (err) {
          if (statusOf(err) !== 404) throw err;
          try {
            await docker.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: labels.network() });
          } catch (createErr) {
            if (statusOf(createErr) !== 409) throw createErr; // someone created it meanwhile
          }
        }
      });
    },
  };
}
