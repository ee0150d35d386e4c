// The Docker floor P1 and P2 compare with: plain containers of the workspaces' image, command,
// limits and config-volume mount, stopped and started straight through dockerode.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type Docker from 'dockerode';
import { REPO } from './procs.ts';
import { inParallel, type Bench } from './stack.ts';

const busybox = JSON.parse(readFileSync(path.join(REPO, 'test', 'fixtures', 'runtimes.json'), 'utf8')).runtimes.busybox as { cmd: string[]; memoryMb: number; pidsLimit: number };

/** n plain running containers, each with a config volume of its own, made 8 at a time. */
export async function createPlain(bench: Bench, n: number): Promise<Docker.Container[]> {
  const labels = { ...bench.labels, 'dockyard.bench': 'direct' };
  const made: Docker.Container[] = [];
  await inParallel(Array.from({ length: n }, (_, i) => i), 8, async (i) => {
    const name = `bench-direct-${bench.runId}-${i}`;
    await bench.docker.createVolume({ Name: `${name}-configs`, Labels: labels });
    const c = await bench.docker.createContainer({
      name,
      Image: bench.image,
      Cmd: busybox.cmd,
      Labels: labels,
      HostConfig: {
        Binds: [`${name}-configs:/configs`],
        NetworkMode: 'none',
        Memory: busybox.memoryMb * 1024 * 1024,
        PidsLimit: busybox.pidsLimit,
      },
    });
    await c.start();
    made[i] = c;
  });
  return made;
}

/** One restart the plain way: stop (SIGTERM; the loop exits at once), then start. */
export async function stopStart(c: Docker.Container): Promise<number> {
  const t0 = performance.now();
  await c.stop({ t: 10 });
  await c.start();
  return performance.now() - t0;
}

/** A direct burst: its pace, and its calls' mean times and share of the slots' time (as the job timeline says of ours). */
export interface DirectBurst {
  rate: number;
  stopMs: number;
  startMs: number;
  filled: number;
}

/** Every container stopped and started, `width` at once. */
export async function burstPlain(containers: Docker.Container[], width: number): Promise<DirectBurst> {
  let stopMs = 0;
  let startMs = 0;
  const t0 = performance.now();
  await inParallel(containers, width, async (c) => {
    const a = performance.now();
    await c.stop({ t: 10 });
    const b = performance.now();
    await c.start();
    stopMs += b - a;
    startMs += performance.now() - b;
  });
  const wall = performance.now() - t0;
  const n = containers.length;
  return { rate: n / (wall / 1000), stopMs: stopMs / n, startMs: startMs / n, filled: (stopMs + startMs) / (width * wall) };
}

export const describeBurst = (b: DirectBurst) =>
  `${b.rate.toFixed(2)} restarts/s (stop ${b.stopMs.toFixed(0)} ms, start ${b.startMs.toFixed(0)} ms, slots filled ${(b.filled * 100).toFixed(1)} %)`;
