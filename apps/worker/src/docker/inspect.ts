import type Docker from 'dockerode';
import { statusOf } from './errors.ts';

/** Inspect a container by name or id; undefined when it does not exist. */
export async function inspectOrUndefined(docker: Docker, nameOrId: string): Promise<Docker.ContainerInspectInfo | undefined> {
  try {
    return await docker.getContainer(nameOrId).inspect();
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}
