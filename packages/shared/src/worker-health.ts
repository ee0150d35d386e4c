import type { AnyRedis } from './redis.ts';

/**
 * Each worker process reports its health every HOST_HEARTBEAT_MS into one Redis hash per
 * installation (`<prefix>:workers`, one field per process; a single key, so it works on a Redis
 * Cluster). A report older than three heartbeats means the process is gone; a fresh report
 * whose lifecycle workers do not run (and are not paused by a fence) means it is stuck — the
 * silent stop after a Redis failover that BullMQ users report most.
 */
export interface WorkerReport {
  id: string;
  host: string;
  pid: number;
  roles: string[];
  /** every lifecycle worker of the process runs (or it has none: a control-loop-only process) */
  running: boolean;
  /** paused by the host's fence on purpose */
  fenced: boolean;
  at: number;
}

export type WorkerState = 'alive' | 'stuck' | 'fenced';

const keyOf = (prefix: string) => `${prefix}:workers`;

export async function reportWorker(redis: AnyRedis, prefix: string, report: WorkerReport): Promise<void> {
  await redis.hset(keyOf(prefix), report.id, JSON.stringify(report));
}

export async function forgetWorker(redis: AnyRedis, prefix: string, id: string): Promise<void> {
  await redis.hdel(keyOf(prefix), id);
}

export const stateOf = (r: WorkerReport): WorkerState => (r.fenced ? 'fenced' : r.running ? 'alive' : 'stuck');

/** The workers that reported within `freshMs`, with their state; older reports are pruned. */
export async function readWorkers(redis: AnyRedis, prefix: string, freshMs: number): Promise<Array<WorkerReport & { state: WorkerState }>> {
  const all = await redis.hgetall(keyOf(prefix));
  const now = Date.now();
  const fresh: Array<WorkerReport & { state: WorkerState }> = [];
  const stale: string[] = [];
  for (const [id, text] of Object.entries(all)) {
    try {
      const r = JSON.parse(text) as WorkerReport;
      if (now - r.at <= freshMs) fresh.push({ ...r, state: stateOf(r) });
      else stale.push(id);
    } catch {
      stale.push(id);
    }
  }
  if (stale.length) await redis.hdel(keyOf(prefix), ...stale).catch(() => undefined);
  return fresh.sort((a, b) => a.host.localeCompare(b.host) || a.pid - b.pid);
}
