import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalDockerd, type LocalEngine } from '../../scripts/lib/docker.mjs';
import { ensureRuntimeImage } from '../../scripts/lib/image.mjs';
import { REPO } from './stack.ts';
import { dockerFor, removeLabelled } from './docker.ts';
import { RUN_LABEL } from './env.ts';

export interface HostEngine extends LocalEngine {
  name: string;
}

/**
 * Extra local Docker engines, one per fleet host (own socket, data-root, exec-root, pidfile,
 * `--bridge=none`; the host's name is in its data-root path), each with the runtime image.
 * Their state lives under .dockyard/test/hosts/<group>-<name>, so a later run reuses the image.
 */
export async function startHostEngines(names: string[], group: string): Promise<HostEngine[]> {
  return Promise.all(names.map((name) => startHostEngine(name, group)));
}

/** One host's engine; `group` keeps the engines of test files that run at once apart (`<group>-<name>`). */
export async function startHostEngine(name: string, group: string): Promise<HostEngine> {
  const engine = await startLocalDockerd(join(REPO, '.dockyard', 'test', 'hosts', `${group}-${name}`));
  await ensureRuntimeImage(engine.host, REPO);
  return { ...engine, name };
}

/**
 * The host's machine dies: SIGKILL its dockerd (containers must be killed first by the caller,
 * as the machine's power going would), and undo the data-root mount that a killed dockerd
 * leaves behind, so a later start of the same engine does not stack another one.
 */
export async function killHostEngine(engine: HostEngine, group: string): Promise<void> {
  const dataRoot = join(REPO, '.dockyard', 'test', 'hosts', `${group}-${engine.name}`, 'docker', 'data');
  try {
    process.kill(engine.pid, 'SIGKILL');
  } catch {
    return; // already gone
  }
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(engine.pid, 0);
      await new Promise((r) => setTimeout(r, 50));
    } catch {
      break;
    }
  }
  if (readFileSync('/proc/self/mounts', 'utf8').includes(` ${dataRoot} `)) spawnSync('umount', ['-l', dataRoot]);
}

/** Remove this run's objects from the engines, then stop them (each by its own PID). */
export async function stopHostEngines(engines: HostEngine[]): Promise<void> {
  await Promise.all(
    engines.map(async (e) => {
      await removeLabelled(dockerFor(e.host), `${RUN_LABEL}=${process.env.DOCKYARD_TEST_RUN_ID}`).catch(() => undefined);
      await e.stop();
    }),
  );
}
