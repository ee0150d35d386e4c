// The Docker engine: DOCKER_HOST if set, else the system's /var/run/docker.sock, else a project-local dockerd.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pingEngine } from './engine.mjs';
import { fatalError, findProgram, isAlive, isRoot, say, shortHash, stopPid, waitFor } from './proc.mjs';
import { requireProgram } from './system.mjs';

const SYSTEM_SOCKET = 'unix:///var/run/docker.sock';

function readPid(file) {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || null;
  } catch {
    return null;
  }
}

/**
 * Paths for a local dockerd. Unix socket paths must stay under 108 bytes, so long ones move to /tmp
 * (into a folder that carries `name`, when given, so a fleet host's socket still names it).
 */
function dockerPaths(stateDir, name) {
  const dir = path.join(stateDir, 'docker');
  const shortDir = `/tmp/dockyard-${name ? `${name}-` : ''}${shortHash(path.resolve(dir))}`;
  const localSocket = path.join(dir, 'docker.sock');
  return {
    dir,
    shortDir,
    socket: localSocket.length < 100 ? localSocket : path.join(shortDir, 'docker.sock'),
    // containerd puts its own sockets deep under exec-root: keep that one short always.
    execRoot: path.join(shortDir, 'exec'),
    dataRoot: path.join(dir, 'data'),
    pidFile: path.join(dir, 'docker.pid'),
    logFile: path.join(dir, 'dockerd.log'),
  };
}

async function stopDockerd(pid, p) {
  say('stopping dockerd');
  const containerd = readPid(path.join(p.execRoot, 'containerd', 'containerd.pid'));
  await stopPid(pid, { label: 'dockerd', graceMs: 30000 });
  // dockerd stops the containerd it started; if dockerd had to be killed, that one is still ours to stop.
  if (containerd && isAlive(containerd)) await stopPid(containerd, { label: 'containerd', graceMs: 10000 });
}

async function startDockerd(stateDir, adopt, name, extraArgs = []) {
  const dockerd = await requireProgram({
    what: 'dockerd',
    find: () => findProgram('dockerd', ['/usr/sbin/dockerd', '/usr/bin/dockerd']),
    aptPackages: ['docker.io'],
  });
  const p = dockerPaths(stateDir, name);
  const host = `unix://${p.socket}`;
  const previous = readPid(p.pidFile);
  if (previous && isAlive(previous) && (await pingEngine(host))) {
    say(`reusing dockerd already running (pid ${previous}, ${host})${adopt ? '' : '; it will be left running'}`);
    return { host, pid: previous, stop: adopt ? () => stopDockerd(previous, p) : async () => {} };
  }
  if (!isRoot()) throw new Error('no Docker engine found, and starting one needs root: set DOCKER_HOST or start Docker');

  for (const dir of [p.dir, p.shortDir, p.dataRoot]) mkdirSync(dir, { recursive: true });
  say(`starting dockerd (socket ${p.socket}, log: ${p.logFile})`);
  const log = openSync(p.logFile, 'a');
  const args = [
    '--bridge=none', '--iptables=false', '--ip-masq=false', '--shutdown-timeout=10',
    '--data-root', p.dataRoot, '--exec-root', p.execRoot, '--pidfile', p.pidFile, '-H', host, ...extraArgs,
  ];
  const child = spawn(dockerd, args, { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  const pid = child.pid;
  const stop = () => stopDockerd(pid, p);
  try {
    await waitFor('dockerd', async () => {
      if (!isAlive(pid)) throw fatalError('dockerd exited');
      return pingEngine(host);
    }, { timeoutMs: 90000, logFile: p.logFile });
  } catch (err) {
    await stop();
    throw new Error(`dockerd did not start; see ${p.logFile}`, { cause: err });
  }
  return { host, pid, stop };
}

/**
 * A project-local dockerd of its own in `stateDir` (socket, data-root, exec-root, pidfile,
 * `--bridge=none`), e.g. one per local fleet host; `stop` stops it (and only it) by PID.
 * `name` (a fleet host's) also goes into the /tmp folder a socket path too long for `stateDir` moves to.
 * `extraArgs` go to dockerd after the others (e.g. a `--config-file`).
 */
export function startLocalDockerd(stateDir, { name, extraArgs } = {}) {
  return startDockerd(stateDir, true, name, extraArgs);
}

/** Resolve the Docker engine; returns { host, stop }. */
export async function ensureDocker({ stateDir, adopt = false }) {
  if (process.env.DOCKER_HOST) {
    say(`using Docker at DOCKER_HOST (${process.env.DOCKER_HOST})`);
    return { host: process.env.DOCKER_HOST, stop: async () => {} };
  }
  if (existsSync('/var/run/docker.sock') && (await pingEngine(SYSTEM_SOCKET))) {
    say(`using the system Docker engine (${SYSTEM_SOCKET})`);
    return { host: SYSTEM_SOCKET, stop: async () => {} };
  }
  return startDockerd(stateDir, adopt);
}
