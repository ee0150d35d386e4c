import { afterAll, describe, expect, it } from 'vitest';
import Docker from 'dockerode';
import { makeLocalVolumeReader } from '../apps/worker/src/docker/volume-local.ts';
import { listArchiveFiles } from '../apps/worker/src/docker/volume-files.ts';
import { runInVolume } from './helpers/docker.ts';
import { RUN_LABEL, testEnv } from './helpers/env.ts';

/**
 * A restart's preflight reads the config volume from the engine's volume folder when the worker
 * sees it (a local engine), instead of through the archive API (a mount of the container's
 * filesystem per read). It must list exactly what the archive lists, and answer "read it through
 * the engine" whenever the folder is not provably the volume's.
 */
describe('reading a config volume from its folder', () => {
  const t = testEnv();
  const docker = new Docker({ socketPath: new URL(t.dockerHost).pathname });
  const labels = { [RUN_LABEL]: t.runId };
  const made: string[] = [];
  afterAll(async () => {
    for (const name of made) await docker.getVolume(name).remove({ force: true }).catch(() => undefined);
  });

  async function volume(suffix: string, opts: Partial<Docker.VolumeCreateOptions> = {}) {
    const name = `dyt-${t.runId}-local-read-${suffix}`;
    await docker.createVolume({ Name: name, Labels: labels, ...opts });
    made.push(name);
    return name;
  }

  /** the archive's view, as the engine path reads it: through a container that mounts the volume */
  async function archiveFiles(name: string): Promise<Set<string>> {
    const c = await docker.createContainer({ Image: t.image, Cmd: ['true'], Labels: labels, HostConfig: { Binds: [`${name}:/configs`], NetworkMode: 'none' } });
    try {
      return await listArchiveFiles(await c.getArchive({ path: '/configs/.' }));
    } finally {
      await c.remove({ force: true });
    }
  }

  it('lists the same regular files as the archive: nested ones, dot files, no links, no folders', async () => {
    const name = await volume('files');
    await runInVolume(docker, name, t.image, 'mkdir -p /v/a/b /v/empty && echo x > /v/a/b/c && echo y > /v/config.yaml && echo m > /v/.provisioned && ln -s config.yaml /v/link');
    const local = await makeLocalVolumeReader(docker, true).listFiles(name);
    expect(local).toEqual(new Set(['a/b/c', 'config.yaml', '.provisioned']));
    expect(local).toEqual(await archiveFiles(name));

    await runInVolume(docker, name, t.image, 'rm -rf /v/* /v/.provisioned');
    expect(await makeLocalVolumeReader(docker, true).listFiles(name)).toEqual(new Set());
  });

  it('leaves the read to the engine when switched off, for a volume with driver options, and for one the engine does not have', async () => {
    const plain = await volume('plain');
    expect(await makeLocalVolumeReader(docker, false).listFiles(plain)).toBeUndefined();
    // a device-backed local volume's folder is empty unless a container mounts it: never read it
    const tmpfs = await volume('tmpfs', { DriverOpts: { type: 'tmpfs', device: 'tmpfs' } });
    expect(await makeLocalVolumeReader(docker, true).listFiles(tmpfs)).toBeUndefined();
    await expect(makeLocalVolumeReader(docker, true).listFiles(`dyt-${t.runId}-local-read-missing`)).rejects.toMatchObject({ statusCode: 404 });
    // an engine reached over TCP is another machine's as far as this process knows
    expect(await makeLocalVolumeReader(new Docker({ host: '127.0.0.1', port: 1 }), true).listFiles(plain)).toBeUndefined();
  });
});
