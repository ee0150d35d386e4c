import Docker from 'dockerode';

export function dockerFor(dockerHost: string): Docker {
  const u = new URL(dockerHost);
  return u.protocol === 'unix:' ? new Docker({ socketPath: u.pathname }) : new Docker({ host: u.hostname, port: Number(u.port) });
}

/** Remove the containers, volumes and networks carrying a label (tests only ever remove by their own label). */
export async function removeLabelled(docker: Docker, label: string): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  const { Volumes } = await docker.listVolumes({ filters: { label: [label] } });
  await Promise.all((Volumes ?? []).map((v) => docker.getVolume(v.Name).remove().catch(() => undefined)));
  const networks = await docker.listNetworks({ filters: { label: [label] } });
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
}

/** Read a file from a workspace's config volume via a throwaway (never-started) container. */
export async function readVolumeFile(docker: Docker, volume: string, image: string, file: string): Promise<string | undefined> {
  const c = await docker.createContainer({ Image: image, Cmd: ['true'], HostConfig: { Binds: [`${volume}:/v`], NetworkMode: 'none' }, Labels: { 'dockyard.test-run': process.env.DOCKYARD_TEST_RUN_ID ?? 'x' } });
  try {
    const stream = await c.getArchive({ path: `/v/${file}` });
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    const buf = Buffer.concat(chunks);
    // a single-file tar: 512-byte header, then the content
    const size = parseInt(buf.subarray(124, 136).toString('ascii').trim(), 8);
    return buf.subarray(512, 512 + size).toString('utf8');
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  } finally {
    await c.remove({ force: true });
  }
}

/** Run a shell command in a running container and return its output. */
export async function execIn(docker: Docker, container: string, cmd: string[]): Promise<string> {
  const exec = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return demux(Buffer.concat(chunks));
}

/** Run a shell command in a throwaway container that mounts a volume at /v (network none), and wait for it. */
export async function runInVolume(docker: Docker, volume: string, image: string, script: string): Promise<void> {
  const c = await docker.createContainer({
    Image: image,
    Cmd: ['sh', '-c', script],
    HostConfig: { Binds: [`${volume}:/v`], NetworkMode: 'none' },
    Labels: { 'dockyard.test-run': process.env.DOCKYARD_TEST_RUN_ID ?? 'x' },
  });
  try {
    await c.start();
    const { StatusCode } = await c.wait();
    if (StatusCode !== 0) throw new Error(`"${script}" exited ${StatusCode}`);
  } finally {
    await c.remove({ force: true });
  }
}

/** Whether a container (by name or id) exists: Docker's 404 means no, any other error is thrown. */
export function containerExists(docker: Docker, name: string): Promise<boolean> {
  return answersInspect(docker.getContainer(name).inspect());
}

/** Whether a volume exists: Docker's 404 means no, any other error is thrown. */
export function volumeExists(docker: Docker, name: string): Promise<boolean> {
  return answersInspect(docker.getVolume(name).inspect());
}

function answersInspect(inspect: Promise<unknown>): Promise<boolean> {
  return inspect.then(
    () => true,
    (err: { statusCode?: number }) => {
      if (err.statusCode === 404) return false;
      throw err;
    },
  );
}

/**
 * GET a URL from inside a container's network namespace: a throwaway helper joined to it
 * (`--network container:<name>`) runs wget against the workspace's loopback, so no traffic
 * goes from the host to a container's bridge address.
 */
export async function fetchInNetns(docker: Docker, container: string, image: string, url: string): Promise<string> {
  const c = await docker.createContainer({
    Image: image,
    Cmd: ['wget', '-qO-', url],
    HostConfig: { NetworkMode: `container:${container}` },
    Labels: { 'dockyard.test-run': process.env.DOCKYARD_TEST_RUN_ID ?? 'x' },
  });
  try {
    await c.start();
    const { StatusCode } = await c.wait();
    const logs = (await c.logs({ stdout: true, stderr: true })) as Buffer;
    const text = demux(logs);
    if (StatusCode !== 0) throw new Error(`wget ${url} in ${container}'s namespace exited ${StatusCode}: ${text}`);
    return text;
  } finally {
    await c.remove({ force: true });
  }
}

/** Docker's multiplexed log stream (8-byte frame headers) as text. */
function demux(buf: Buffer): string {
  const out: Buffer[] = [];
  for (let i = 0; i + 8 <= buf.length; ) {
    const len = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return Buffer.concat(out).toString('utf8');
}
