import { describe, expect, it, onTestFinished } from 'vitest';
import { once } from 'node:events';
import { useStack } from './helpers/use-stack.ts';
import { burstWithFault } from './helpers/chaos.ts';

const N = Number(process.env.DOCKYARD_CHAOS_WORKSPACES ?? 100);
/** The production defaults for the lock, the stalled check and the lease (empty = default). */
const DEFAULT_RECOVERY = { JOB_LOCK_MS: '', STALLED_INTERVAL_MS: '', LEASE_MS: '' };

/**
 * Chaos under load (issue 12, scenario a): N workspaces, a burst of N restarts, and one of the
 * two worker processes SIGKILLed in the middle of it. Prints the figures docs/RELIABILITY.md quotes.
 */
describe('chaos: a worker killed during a burst of restarts', () => {
  const stack = useStack({ worker: false, env: { RESTART_CONCURRENCY: '20', RESTART_RATE_PER_SEC: '100', ...DEFAULT_RECOVERY } });

  it(`loses nothing, duplicates nothing and leaves nothing stuck (${N} workspaces)`, async () => {
    const workers = [stack.spawnWorker({ WORKER_CONCURRENCY: '10' }), stack.spawnWorker({ WORKER_CONCURRENCY: '10' })];
    onTestFinished(() => {
      for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    });
    const figures = await burstWithFault(stack, N, async () => {
      workers[0]!.kill('SIGKILL');
      await once(workers[0]!, 'exit');
    });
    console.log(`[chaos] worker SIGKILL during a burst: ${JSON.stringify(figures)}`);
    expect(figures).toMatchObject({ accepted: N, executed: N, lost: 0, duplicates: 0, notRunning: 0, stuck: 0 });
  }, 600_000);
});
