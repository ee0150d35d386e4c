import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { jobMetricDefs, makeMetricsStore, makeRedisClient, type MetricsRedis } from '@dockyard/shared';
import { testEnv } from './helpers/env.ts';
import { deleteKeysUnder } from './helpers/redis-keys.ts';

/**
 * The worker's job metrics go to Redis summed: many observations, one pipeline. A write that fails
 * (here: a Redis that refuses the connection) loses nothing; the next write carries it.
 */
describe('the metrics store', () => {
  const redis = makeRedisClient(testEnv().redisUrl);
  const prefix = `metrics-store-${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    await deleteKeysUnder(testEnv().redisUrl, prefix);
    redis.disconnect();
  });
  /** the real client, counting the pipelines written through it */
  const counted = () => {
    let pipelines = 0;
    const client: MetricsRedis = {
      pipeline: () => {
        pipelines++;
        return redis.pipeline();
      },
      hgetall: (key) => redis.hgetall(key),
    };
    return { client, pipelines: () => pipelines };
  };

  it('sums a moment of observations and counts into one pipeline', async () => {
    const r = counted();
    const store = makeMetricsStore(async () => r.client, prefix, 200);
    const writes: Array<Promise<void>> = [];
    for (let i = 0; i < 40; i++) writes.push(store.observe(jobMetricDefs.stepDuration, { kind: 'restart', step: 'start' }, i < 30 ? 0.2 : 3));
    for (let i = 0; i < 10; i++) writes.push(store.inc(jobMetricDefs.outcomes, { kind: 'restart', outcome: 'completed' }));
    expect(r.pipelines()).toBe(0); // nothing written yet
    await Promise.all(writes);
    expect(r.pipelines()).toBe(1);
    const [steps] = await store.read(jobMetricDefs.stepDuration);
    expect(steps).toMatchObject({ labels: { kind: 'restart', step: 'start' }, count: 40 });
    expect(steps!.sum).toBeCloseTo(30 * 0.2 + 10 * 3, 6);
    const fast = jobMetricDefs.stepDuration.buckets.findIndex((le) => 0.2 <= le);
    expect(steps!.buckets[fast]).toBe(30);
    expect((await store.read(jobMetricDefs.outcomes)).find((s) => s.labels.outcome === 'completed')?.value).toBe(10);
  });

  it('keeps what a failed write carried for the next one', async () => {
    // a port that refuses connections: nothing listens there once the probe server closed
    const dead = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const refusing = makeRedisClient(`redis://127.0.0.1:${dead}`, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    refusing.on('error', () => undefined);
    let calls = 0;
    const store = makeMetricsStore(async () => (calls++ === 0 ? (refusing as unknown as MetricsRedis) : (redis as unknown as MetricsRedis)), prefix, 10);
    const failed = store.inc(jobMetricDefs.fencedWrites, {}, 3);
    await expect(failed).rejects.toThrow();
    await store.flush(); // the kept increments, written now (not a second later)
    expect((await store.read(jobMetricDefs.fencedWrites))[0]?.value).toBe(3);
    refusing.disconnect();
  });
});
