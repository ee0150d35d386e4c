import { describe, expect, it, onTestFinished } from 'vitest';
import { once } from 'node:events';
import { useStack } from './helpers/use-stack.ts';
import { waitFor } from './helpers/wait.ts';

const N = Number(process.env.DOCKYARD_CHAOS_WORKSPACES ?? 100);
/** The production defaults for the lock, the stalled check and the lease (empty = default). */
const DEFAULT_RECOVERY = { JOB_LOCK_MS: '', STALLED_INTERVAL_MS: '', LEASE_MS: '' };

/**
 * Chaos under load (issue 12, scenario a): N workspaces, a burst of N restarts, and one of the
 * two worker processes SIGKILLed in the middle of it. Prints the figures docs/RELIABILITY.md
 * quotes: accepted / executed to their latest generation / lost / duplicate containers / stuck /
 * time to recover. Bounded: N (default 100) and every wait has a deadline.
 */
describe('chaos: a worker killed during a burst of restarts', () => {
  const stack = useStack({ worker: false, env: { RESTART_CONCURRENCY: '20', RESTART_RATE_PER_SEC: '100', ...DEFAULT_RECOVERY } });

  it(`loses nothing, duplicates nothing and leaves nothing stuck (${N} workspaces)`, async () => {
    const workers = [stack.spawnWorker({ WORKER_CONCURRENCY: '10' }), stack.spawnWorker({ WORKER_CONCURRENCY: '10' })];
    onTestFinished(() => {
      for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    });
    const ids: string[] = [];
    for (let i = 0; i < N; i += 20) {
      const batch = await Promise.all(Array.from({ length: Math.min(20, N - i) }, (_, j) => stack.create('busybox', `chaos-${i + j}`)));
      ids.push(...batch.map((b) => b.workspace.id as string));
    }
    const statuses = async () => (await stack.pool.query<{ id: string; status: string; idle: boolean; generation: number }>(
      `select id, status, (running_job_id is null and queued_job_id is null) as idle, generation from workspaces where id = any($1::uuid[])`,
      [ids],
    )).rows;
    await waitFor(`${N} workspaces online`, async () => (await statuses()).every((r) => r.status === 'online' && r.idle) || undefined, {
      timeoutMs: 240_000,
      intervalMs: 500,
    });

    // the burst: one restart per workspace, 25 requests at a time
    const accepted = new Map<string, string>();
    for (let i = 0; i < N; i += 25) {
      const answers = await Promise.all(ids.slice(i, i + 25).map((id) => stack.request('POST', `/v1/workspaces/${id}/restart`, { body: { reason: 'chaos' } })));
      answers.forEach((a, j) => a.status === 202 && accepted.set(ids[i + j]!, a.body.jobId));
    }
    // mid-burst, one of the two workers dies
    await waitFor('restarts under way', async () => (await statuses()).filter((r) => r.status === 'provisioning').length >= 5 || undefined, { intervalMs: 50 });
    workers[0]!.kill('SIGKILL');
    await once(workers[0]!, 'exit');
    const killedAt = Date.now();

    await waitFor('every workspace online and idle again', async () => (await statuses()).every((r) => r.status === 'online' && r.idle) || undefined, {
      timeoutMs: 180_000,
      intervalMs: 250,
    });
    const recoveredMs = Date.now() - killedAt;
    // executed: the restart's own job wrote the workspace's final online transition
    const { rows: ran } = await stack.pool.query<{ workspace_id: string; job_id: string }>(
      `select distinct workspace_id, job_id from workspace_events where workspace_id = any($1::uuid[]) and to_status = 'online' and attempt is not null`,
      [ids],
    );
    const executed = [...accepted].filter(([id, jobId]) => ran.some((r) => r.workspace_id === id && r.job_id === jobId)).length;
    const containers = await stack.docker.listContainers({ all: true, filters: { label: [`dockyard.test-stack=${stack.id}`] } });
    const perWorkspace = new Map<string, number>();
    for (const c of containers.filter((c) => !c.Labels['dockyard.role'])) {
      const id = c.Labels['dockyard.workspace-id']!;
      perWorkspace.set(id, (perWorkspace.get(id) ?? 0) + 1);
    }
    const duplicates = [...perWorkspace.values()].filter((n) => n > 1).length;
    const notRunning = containers.filter((c) => !c.Labels['dockyard.role'] && c.State !== 'running').length;
    const stuck = (await statuses()).filter((r) => r.status !== 'online' || !r.idle).length;
    const figures = { workspaces: N, accepted: accepted.size, executed, lost: accepted.size - executed, duplicates, notRunning, stuck, recoveredMs };
    console.log(`[chaos] worker SIGKILL during a burst: ${JSON.stringify(figures)}`);
    expect(figures).toMatchObject({ accepted: N, executed: N, lost: 0, duplicates: 0, notRunning: 0, stuck: 0 });
  }, 600_000);
});
