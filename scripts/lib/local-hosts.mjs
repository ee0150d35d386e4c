// `LOCAL_HOSTS=N npm start`: a fleet on one machine. Hosts host-1 … host-N, each a Docker engine of
// its own (startLocalDockerd in <stateDir>/hosts/<name>) with the runtime image built on it.
import path from 'node:path';
import { startLocalDockerd } from './docker.mjs';
import { ensureRuntimeImage } from './image.mjs';
import { findProgram, isAlive, isRoot, say } from './proc.mjs';
import { requireProgram } from './system.mjs';

export const MAX_LOCAL_HOSTS = 9;

/** How many local hosts `LOCAL_HOSTS` asks for: null when unset or empty; throws, naming it, when invalid. */
export function parseLocalHosts(value) {
  if (value === undefined || value.trim() === '') return null;
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || Number(value) > MAX_LOCAL_HOSTS) {
    throw new Error(
      `LOCAL_HOSTS must be a whole number from 1 to ${MAX_LOCAL_HOSTS} (how many local Docker hosts npm start runs), ` +
        `got ${JSON.stringify(value)}; leave it unset for the single host "local"`,
    );
  }
  return Number(value);
}

/** Stop the hosts' engines, each by its own PID (and the containerd it started). */
export async function stopLocalHosts(hosts) {
  await Promise.all(
    hosts.map((h) => h.stop().catch((err) => console.error(`[dockyard] while stopping ${h.name}'s engine: ${err.message}`))),
  );
}

/**
 * Start `count` engines at once, host-1 … host-N, each in `<stateDir>/hosts/<name>` (so the host's
 * name is in its data-root, pidfile and socket path), and build the runtime image on each.
 * Returns [{ name, host (its DOCKER_HOST), pid, stop }]; on failure stops those it started and throws.
 */
export async function startLocalHosts({ stateDir, count, repoDir }) {
  if (!isRoot()) {
    throw new Error(`LOCAL_HOSTS=${count} starts ${count} Docker engines of its own (dockerd), which needs root; run npm start as root, or leave LOCAL_HOSTS unset`);
  }
  // Installed once up front, if missing, so the engines can start side by side (apt-get takes one at a time).
  await requireProgram({
    what: 'dockerd',
    find: () => findProgram('dockerd', ['/usr/sbin/dockerd', '/usr/bin/dockerd']),
    aptPackages: ['docker.io'],
  });
  const names = Array.from({ length: count }, (_, i) => `host-${i + 1}`);
  say(`starting ${count} local Docker hosts: ${names.join(', ')}`);
  const started = await Promise.allSettled(
    names.map(async (name) => ({ name, ...(await startLocalDockerd(path.join(stateDir, 'hosts', name), { name })) })),
  );
  const hosts = started.filter((s) => s.status === 'fulfilled').map((s) => s.value);
  try {
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    // The first build installs busybox-static if it is missing; the others then only build.
    await ensureRuntimeImage(hosts[0].host, repoDir);
    await Promise.all(hosts.slice(1).map((h) => ensureRuntimeImage(h.host, repoDir)));
    return hosts;
  } catch (err) {
    await stopLocalHosts(hosts);
    throw err;
  }
}

/** Call onExit(host) once for each host whose engine process has gone; returns a function that stops watching. */
export function watchEngines(hosts, onExit, everyMs = 1000) {
  const watched = new Set(hosts);
  const timer = setInterval(() => {
    for (const h of watched) {
      if (isAlive(h.pid)) continue;
      watched.delete(h);
      onExit(h);
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
