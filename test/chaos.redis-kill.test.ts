import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type Stack } from './helpers/stack.ts';
import { burstWithFault } from './helpers/chaos.ts';
import { freePort, privateRedis } from './helpers/private-redis.ts';

// 30 in the suite (it runs beside the other files on 2 cores); the figures in docs/RELIABILITY.md are for 100
const N = Number(process.env.DOCKYARD_CHAOS_WORKSPACES ?? 30);

/**
 * Chaos under load (issue 12, scenario b): N workspaces, a burst of N restarts, and Redis
 * SIGKILLed in the middle of it and started again 3 s later from its append-only file.
 * Prints the figures docs/RELIABILITY.md quotes.
 */
describe('chaos: Redis killed during a burst of restarts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dockyard-aof-'));
  let redis: ReturnType<typeof privateRedis>;
  let stack: Stack;
  beforeAll(async () => {
    redis = privateRedis(await freePort(), { aofDir: dir });
    await redis.start();
    stack = await startStack({ worker: false, env: { REDIS_URL: redis.url, RESTART_CONCURRENCY: '20', RESTART_RATE_PER_SEC: '100', RECONCILE_INTERVAL_MS: '2000' } });
  }, 120_000);
  afterAll(async () => {
    try {
      if (redis && !redis.pid) await redis.start().catch(() => undefined);
      await stack?.close();
    } finally {
      await redis?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it(`loses nothing, duplicates nothing and leaves nothing stuck (${N} workspaces)`, async () => {
    const workers = [stack.spawnWorker({ WORKER_CONCURRENCY: '10' }), stack.spawnWorker({ WORKER_CONCURRENCY: '10' })];
    onTestFinished(() => {
      for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    });
    const figures = await burstWithFault(stack, N, async () => {
      await redis.kill();
      await new Promise((r) => setTimeout(r, 3_000));
      await redis.start();
    });
    console.log(`[chaos] Redis SIGKILL (AOF on) during a burst: ${JSON.stringify(figures)}`);
    expect(figures).toMatchObject({ accepted: N, executed: N, lost: 0, duplicates: 0, notRunning: 0, stuck: 0 });
  }, 600_000);
});
