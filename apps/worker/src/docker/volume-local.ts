import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';

/**
 * Read a config volume's file list straight from the engine's volume folder, when this process
 * sees it: a local engine (unix socket) whose `local`-driver volume folder exists here. The
 * engine's archive API mounts the container's filesystem for every read (~50 ms a restart,
 * ~0.6 s at 20 at once on a busy engine); a folder listing costs next to nothing.
 *
 * The folder is used only when it is provably the engine's: a plain local volume (no driver
 * options: a device-backed volume's folder is empty unless mounted) whose folder's time
 * (modification or change, to the second) is the `CreatedAt` the engine reports, which is the
 * engine's own stat of that folder. Anything else (a remote engine, a worker in a container
 * without the volumes folder, another driver, an unreadable folder, a write between the two
 * stats) answers undefined, and the caller reads through the engine.
 */
export function makeLocalVolumeReader(docker: Docker, enabled: boolean) {
  const local = enabled && typeof (docker.modem as { socketPath?: unknown }).socketPath === 'string';

  async function directoryOf(volumeName: string, known?: Docker.VolumeInspectInfo): Promise<string | undefined> {
    if (!local) return undefined;
    const info = (known ?? (await docker.getVolume(volumeName).inspect())) as Docker.VolumeInspectInfo & { CreatedAt?: string };
    if (info.Driver !== 'local' || Object.keys(info.Options ?? {}).length > 0 || !info.Mountpoint || !info.CreatedAt) return undefined;
    try {
      const data = await stat(info.Mountpoint);
      if (!data.isDirectory()) return undefined;
      const created = Math.floor(Date.parse(info.CreatedAt) / 1000);
      const same = [data.mtimeMs, data.ctimeMs].some((t) => Math.floor(t / 1000) === created);
      return same ? info.Mountpoint : undefined;
    } catch {
      return undefined; // not here (a remote or containerised view), or not ours to read
    }
  }

  return {
    /** the regular files in the volume (paths relative to its root), or undefined: read it through the engine; `known`: its inspect, just made */
    async listFiles(volumeName: string, known?: Docker.VolumeInspectInfo): Promise<Set<string> | undefined> {
      const dir = await directoryOf(volumeName, known);
      if (!dir) return undefined;
      try {
        const files = new Set<string>();
        await walk(dir, '', files);
        return files;
      } catch {
        return undefined;
      }
    },
  };
}

/** Regular files only, symbolic links not followed: what the archive's `file` entries list. */
async function walk(root: string, rel: string, into: Set<string>): Promise<void> {
  for (const entry of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const name = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isFile()) into.add(name);
    else if (entry.isDirectory()) await walk(root, name, into);
  }
}
