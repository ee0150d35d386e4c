// Child processes run in their own process group, so a signal reaches the whole tree (pnpm exec → tsx → node).
import { spawn } from 'node:child_process';
import { say, stopPid } from './proc.mjs';

/** Spawn a child in its own process group; `exited` resolves with its exit code (signal → 128 + n). */
export function spawnGroup(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: 'inherit', detached: true, ...opts });
  const exited = new Promise((resolve) => {
    child.on('error', (err) => {
      console.error(`[dockyard] could not start ${cmd}: ${err.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15)));
  });
  return { child, exited, running: () => child.exitCode === null && child.signalCode === null };
}

/** SIGTERM a child's process group, SIGKILL it after the deadline. */
export async function stopGroup({ child, running }, { label, graceMs = 20000 } = {}) {
  if (!child.pid || !running()) return;
  await stopPid(child.pid, { label, graceMs, group: true });
}

export function killGroup({ child }) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/**
 * Call onFirst on the first SIGINT/SIGTERM (graceful shutdown), onSecond on any later one (force).
 */
export function onShutdownSignals(onFirst, onSecond) {
  let count = 0;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      count += 1;
      if (count === 1) {
        say(`${signal}: shutting down (again to force)`);
        onFirst(signal);
      } else {
        say(`${signal} again: forcing`);
        onSecond(signal);
      }
    });
  }
}
