import { describe, expect, it } from 'vitest';
import type { Worker } from 'bullmq';
import { useStack } from './helpers/use-stack.ts';
import { waitFor } from './helpers/wait.ts';

/** Each worker process reports its health; a stuck one (its job workers not running) is visible. */
describe('worker health', () => {
  const stack = useStack({ env: { HOST_HEARTBEAT_MS: '200', RECONCILE_INTERVAL_MS: '300' } });
  const workersOf = async () => (await stack.request('GET', '/readyz', { token: null })).body.workers;
  const stuckSeries = async () => {
    const text: string = (await stack.request('GET', '/metrics')).body;
    return Number(/^dockyard_workers\{host="local",state="stuck"\} (\d+)/m.exec(text)?.[1] ?? 0);
  };

  it('shows alive, stuck and gone workers in /readyz, /metrics and the reconciler log', async () => {
    await waitFor('one worker alive', async () => (await workersOf()).alive === 1 || undefined);
    const second = (await stack.startWorker({ WORKER_ROLES: 'jobs' })) as unknown as { workers: Worker[]; close(): Promise<void> };
    await waitFor('two workers alive', async () => (await workersOf()).alive === 2 || undefined);
    expect(await stuckSeries()).toBe(0);

    // its BullMQ workers stop taking jobs (what a silent stop after a Redis failover looks like)
    await Promise.all(second.workers.map((w) => w.pause(true)));
    await waitFor('the stuck worker reported', async () => {
      const w = await workersOf();
      return (w.alive === 1 && w.stuck === 1) || undefined;
    });
    expect(await stuckSeries()).toBe(1);
    await waitFor('the reconciler to name it', async () => stack.logLines.some((l) => l.includes('its job workers do not run')) || undefined);

    // resumed, it is alive again; closed, its report goes
    second.workers.forEach((w) => w.resume());
    await waitFor('alive again', async () => (await workersOf()).alive === 2 || undefined);
    await second.close();
    await waitFor('one worker left', async () => {
      const w = await workersOf();
      return (w.alive === 1 && w.stuck === 0) || undefined;
    });
  });
});
