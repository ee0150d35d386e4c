// The compose test's own Docker engine. Like the suite's engines it has no default bridge, no
// iptables and no masquerading (nothing a container does leaves the machine); compose's own
// network is a user-defined bridge, which needs neither, and the API is reached only through a
// port published on 127.0.0.1. Its data root is kept in the machine's cache folder, so the imported
// base image and BuildKit's cache outlive the run and the clone (BuildKit's garbage collection
// bounds that cache). One run holds it at a time (a lock file naming the holder's pid); a run that
// finds it held gets an engine of its own under .dockyard/test, removed afterwards.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalDockerd, type LocalEngine } from '../../scripts/lib/docker.mjs';
import { CACHE_DIR } from './compose-base.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** BuildKit keeps at most this much build cache (its own garbage collection) */
const BUILD_CACHE = '6GB';

export interface ComposeEngine extends LocalEngine {
  /** the engine's socket on this machine (mounted into the worker) */
  socket: string;
  /** false for a throwaway engine of this run's own */
  cached: boolean;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Take the lock file (true), or find it held by a live process (false); a dead holder's lock is taken over. */
function takeLock(file: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(file, 'utf8').trim());
      if (holder && alive(holder)) return false;
      unlinkSync(file);
    }
  }
  return false;
}

/** Unmount what a dockerd killed before its own clean-up left mounted under `dir`. */
function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '');
  for (const m of mounts.filter((m) => m.startsWith(`${dir}/`)).reverse()) spawnSync('umount', ['-l', m]);
}

export async function startComposeEngine(runId: string): Promise<ComposeEngine> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const lock = join(CACHE_DIR, 'compose-engine.lock');
  const cached = takeLock(lock);
  const dir = cached ? join(CACHE_DIR, 'compose-engine') : join(REPO, '.dockyard', 'test', `compose-${runId}`);
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'daemon.json');
  writeFileSync(config, JSON.stringify({ builder: { gc: { enabled: true, defaultKeepStorage: BUILD_CACHE } } }));
  let engine: LocalEngine;
  try {
    engine = await startLocalDockerd(dir, { name: cached ? 'compose' : `compose-${runId}`, extraArgs: ['--config-file', config] });
  } catch (err) {
    if (cached) unlinkSync(lock);
    throw err;
  }
  return {
    ...engine,
    socket: engine.host.replace(/^unix:\/\//, ''),
    cached,
    stop: async () => {
      try {
        await engine.stop();
        unmountUnder(dir);
        if (!cached) {
          rmSync(dir, { recursive: true, force: true });
          // and the short folder in /tmp that held its exec-root (scripts/lib/docker.mjs names it)
          for (const f of readdirSync('/tmp').filter((f) => f.startsWith(`dockyard-compose-${runId}-`))) rmSync(join('/tmp', f), { recursive: true, force: true });
        }
      } finally {
        if (cached) unlinkSync(lock);
      }
    },
  };
}
