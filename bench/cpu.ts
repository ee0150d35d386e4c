// What CPU the bench's processes and the machine use during a phase (/proc, read only: nothing
// here signals a process). On this 2-core machine a burst of restarts keeps both cores busy, so
// every CPU-second Dockyard spends is one the engine does not get.
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux this runs on

/** The fields of /proc/<pid>/stat from the third (state) on, or undefined once the process has exited. */
function statOf(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  } catch {
    return undefined;
  }
}

/** CPU seconds a process has used so far (user + system), or NaN once it has exited. */
function cpuSeconds(pid: number): number {
  const fields = statOf(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND : Number.NaN; // utime, stime (fields 14, 15)
}

/** The machine's busy and total CPU time so far (all cores, /proc/stat), in seconds. */
function machineSeconds(): { busy: number; total: number } {
  const [, ...v] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const n = v.map(Number);
  const idle = n[3]! + n[4]!; // idle, iowait
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND };
}

/** A process, or a group of them read anew each time (e.g. Postgres: its postmaster and every backend). */
export type CpuTarget = number | undefined | (() => number[]);

/** CPU used between now and stop(): each named process's (or group's) seconds, and in words with the machine's busy cores. */
export function measureCpu(targets: Record<string, CpuTarget>): { stop(): { text: string; seconds: Record<string, number> } } {
  const pidsOf = (t: CpuTarget): number[] => (t === undefined ? [] : typeof t === 'number' ? [t] : t());
  const read = (t: CpuTarget) => new Map(pidsOf(t).map((pid) => [pid, cpuSeconds(pid)] as const));
  const start = Object.fromEntries(Object.entries(targets).map(([k, t]) => [k, read(t)]));
  const machine = machineSeconds();
  const cores = os.cpus().length;
  return {
    stop() {
      const now = machineSeconds();
      const wall = (now.total - machine.total) / cores;
      const seconds: Record<string, number> = {};
      for (const [k, t] of Object.entries(targets)) {
        const pids = read(t);
        if (pids.size === 0) continue;
        // a process that started since counts from zero; one that exited since is left out
        seconds[k] = [...pids].reduce((used, [pid, s]) => (Number.isFinite(s) ? used + s - (start[k]!.get(pid) ?? 0) : used), 0);
      }
      const parts = Object.entries(seconds).map(([k, used]) => `${k} ${used.toFixed(2)} s`);
      const text = `${parts.join(', ')}; the machine ${((now.busy - machine.busy) / Math.max(0.01, wall)).toFixed(2)} of ${cores} cores busy over ${wall.toFixed(1)} s`;
      return { text, seconds };
    },
  };
}

const allPids = () => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);

function argsOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

const parentOf = (pid: number): number => Number(statOf(pid)?.[1] ?? -1);

/** The engine's own processes (read only, never signalled): the dockerd serving `dockerHost` and the containerd it started. */
export function enginePids(dockerHost: string): { dockerd?: number; containerd?: number } {
  const socket = new URL(dockerHost).pathname;
  const pids = allPids();
  const dockerd = pids.find((pid) => {
    const args = argsOf(pid);
    return path.basename(args[0] ?? '') === 'dockerd' && args.some((a) => a.endsWith(socket));
  });
  const containerd = dockerd === undefined ? undefined : pids.find((pid) => parentOf(pid) === dockerd && path.basename(argsOf(pid)[0] ?? '') === 'containerd');
  return { dockerd, containerd };
}

/** The bench's Postgres (its postmaster, found by its data folder under .dockyard/bench, and every child) and Redis (by its port), for measureCpu. */
export function servicePids(redisUrl: string): { postgres: () => number[]; redis: () => number[] } {
  const redisPort = `:${new URL(redisUrl).port || 6379}`;
  const ours = (a: string[]) => a.some((x) => x.includes(path.join('.dockyard', 'bench')));
  return {
    postgres: () => {
      const pids = allPids();
      const master = pids.filter((pid) => path.basename(argsOf(pid)[0] ?? '') === 'postgres' && ours(argsOf(pid)));
      return [...master, ...pids.filter((pid) => master.includes(parentOf(pid)))];
    },
    // redis-server sets its title to `<path>/redis-server <address>:<port>`
    redis: () => allPids().filter((pid) => (argsOf(pid)[0] ?? '').includes('redis-server') && argsOf(pid).join(' ').includes(redisPort)),
  };
}
