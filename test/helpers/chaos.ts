import { onTestFinished } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import type { Stack } from './stack.ts';
import { waitFor } from './wait.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** N: 30 in the suite (it runs beside the other files on 2 cores); docs/RELIABILITY.md quotes runs with 100. */
export const chaosWorkspaces = () => Number(process.env.DOCKYARD_CHAOS_WORKSPACES ?? 30);

/** The stack's settings in every chaos scenario: restarts are not throttled below the burst. */
export const CHAOS_STACK_ENV = { RESTART_CONCURRENCY: '20', RESTART_RATE_PER_SEC: '100' };

/**
 * The production defaults (empty = default) of what decides whether a fault is ridden out:
 * retries and their backoff, the lock, stalled check and lease, the reconciler's interval.
 */
export const PRODUCTION_RECOVERY = {
  RETRY_ATTEMPTS: '',
  RETRY_BASE_DELAY_MS: '',
  JOB_LOCK_MS: '',
  STALLED_INTERVAL_MS: '',
  LEASE_MS: '',
  RECONCILE_INTERVAL_MS: '',
};

/** Two worker processes (concurrency 10 each), SIGKILLed when the test ends if still running. */
export function spawnChaosWorkers(stack: Stack, env: Record<string, string> = {}): ChildProcess[] {
  const workers = [stack.spawnWorker({ WORKER_CONCURRENCY: '10', ...env }), stack.spawnWorker({ WORKER_CONCURRENCY: '10', ...env })];
  onTestFinished(() => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  });
  return workers;
}

export interface ChaosFigures {
  workspaces: number;
  accepted: number;
  /** the accepted restarts whose own job wrote the workspace's final `online` */
  executed: number;
  lost: number;
  /** workspaces with more than one container */
  duplicates: number;
  notRunning: number;
  /** not `online` and idle at the end */
  stuck: number;
  /** from the fault to every workspace online and idle again */
  recoveredMs: number;
}

/**
 * Chaos under load: N online workspaces, a burst of one restart request each (25 at a time),
 * `fault` injected once the restarts are under way (it is given the workspaces' ids), then wait
 * (bounded) until every workspace is online and idle again and count what an operator would look
 * at. `stack.pool` is where the harness reads the workspaces (a test may pass its own view).
 */
export async function burstWithFault(stack: Stack, n: number, fault: (workspaceIds: string[]) => Promise<void>): Promise<ChaosFigures> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 20) {
    const batch = await Promise.all(Array.from({ length: Math.min(20, n - i) }, (_, j) => stack.create('busybox', `chaos-${i + j}`)));
    ids.push(...batch.map((b) => b.workspace.id as string));
  }
  const statuses = async () =>
    (
      await stack.pool.query<{ id: string; status: string; idle: boolean }>(
        `select id, status, (running_job_id is null and queued_job_id is null) as idle from workspaces where id = any($1::uuid[])`,
        [ids],
      )
    ).rows;
  const allSettled = async () => (await statuses()).every((r) => r.status === 'online' && r.idle) || undefined;
  await waitFor(`${n} workspaces online`, allSettled, { timeoutMs: 240_000, intervalMs: 500 });

  const accepted = new Map<string, string>();
  for (let i = 0; i < n; i += 25) {
    const answers = await Promise.all(ids.slice(i, i + 25).map((id) => stack.request('POST', `/v1/workspaces/${id}/restart`, { body: { reason: 'chaos' } })));
    answers.forEach((a, j) => a.status === 202 && accepted.set(ids[i + j]!, a.body.jobId));
  }
  await waitFor('restarts under way', async () => (await statuses()).filter((r) => r.status === 'provisioning').length >= 5 || undefined, { intervalMs: 50 });
  await fault(ids);
  const faultAt = Date.now();

  await waitFor('every workspace online and idle again', allSettled, { timeoutMs: 180_000, intervalMs: 250 }).catch(async (err) => {
    // what an operator would look at first: the rows that did not settle
    const { rows } = await stack.pool.query(
      `select id, status, step, running_job_id, queued_job_id, lease_until, last_error from workspaces
        where id = any($1::uuid[]) and (status <> 'online' or running_job_id is not null or queued_job_id is not null)`,
      [ids],
    );
    const stuck = rows.find((r) => r.running_job_id);
    const lines = stuck ? stack.logLines.filter((l) => l.includes(stuck.id.slice(0, 12))).slice(-40) : [];
    const dump = path.resolve('.dockyard/test/logs', `chaos-${stack.id}.log`);
    mkdirSync(path.dirname(dump), { recursive: true });
    writeFileSync(dump, stack.logLines.join('\n'));
    throw new Error(`${err.message}; not settled: ${JSON.stringify(rows)}; every log line in ${dump}; log of ${stuck?.id}:\n${lines.join('\n')}`);
  });
  const recoveredMs = Date.now() - faultAt;
  const { rows: ran } = await stack.pool.query<{ workspace_id: string; job_id: string }>(
    `select distinct workspace_id, job_id from workspace_events where workspace_id = any($1::uuid[]) and to_status = 'online' and attempt is not null`,
    [ids],
  );
  const executed = [...accepted].filter(([id, jobId]) => ran.some((r) => r.workspace_id === id && r.job_id === jobId)).length;
  const containers = (await stack.docker.listContainers({ all: true, filters: { label: [`dockyard.test-stack=${stack.id}`] } })).filter((c) => !c.Labels['dockyard.role']);
  const perWorkspace = new Map<string, number>();
  for (const c of containers) perWorkspace.set(c.Labels['dockyard.workspace-id']!, (perWorkspace.get(c.Labels['dockyard.workspace-id']!) ?? 0) + 1);
  return {
    workspaces: n,
    accepted: accepted.size,
    executed,
    lost: accepted.size - executed,
    duplicates: [...perWorkspace.values()].filter((k) => k > 1).length,
    notRunning: containers.filter((c) => c.State !== 'running').length,
    stuck: (await statuses()).filter((r) => r.status !== 'online' || !r.idle).length,
    recoveredMs,
  };
}
