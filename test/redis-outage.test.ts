import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './helpers/stack.ts';
import { readyz, waitForReadyz } from './helpers/stack-waits.ts';
import { waitFor } from './helpers/wait.ts';
import { freePort, privateRedis } from './helpers/private-redis.ts';

/** Redis going away for real: the API keeps accepting (Postgres records the intent), the reconciler re-derives the work. */
describe('Redis outage', () => {
  let stack: Stack;
  let redis: ReturnType<typeof privateRedis>;
  const row = async (id: string) =>
    (
      await stack.pool.query(
        'select status, desired_state, generation, queued_job_id, running_job_id, last_error, restart_count from workspaces where id = $1',
        [id],
      )
    ).rows[0];

  /** Redis down for the length of `during`, and up again afterwards even if `during` fails (so clean-up finds it). */
  const outage = async (during: () => Promise<void>) => {
    await redis.stop();
    try {
      await during();
    } finally {
      await redis.start(); // empty: --save "" and no AOF, as if Redis lost its data
    }
  };

  beforeAll(async () => {
    redis = privateRedis(await freePort());
    await redis.start();
    stack = await startStack({ env: { REDIS_URL: redis.url, RECONCILE_INTERVAL_MS: '500', WORKER_ROLES: 'jobs,reconciler' } });
  });
  afterAll(async () => {
    // the stack's own clean-up talks to this Redis: bring it back first if a test left it down
    try {
      if (redis && !redis.pid) await redis.start().catch(() => undefined);
      await stack?.close();
    } finally {
      await redis?.stop();
    }
  });

  it('accepts a create while Redis is down and runs that very job once Redis is back', async () => {
    expect((await readyz(stack)).status).toBe(200);
    let workspace: { id: string } = { id: '' };
    let jobId = '';
    await outage(async () => {
      const down = await waitForReadyz(stack, 503, 10_000);
      expect(down.body).toMatchObject({ error: { code: 'UNAVAILABLE', message: expect.stringContaining('redis') } });
      expect(down.body.error.message).not.toContain('postgres');
      expect((await stack.request('GET', '/healthz', { token: null })).status).toBe(200);

      // the intent is recorded in Postgres; the failed enqueue is logged and deferred, not awaited forever
      const started = Date.now();
      const res = await stack.request('POST', '/v1/workspaces', { body: { name: 'while-redis-down', runtime: 'busybox' }, timeoutMs: 10_000 });
      expect(res.status).toBe(202);
      expect(Date.now() - started).toBeLessThan(5_000);
      ({ workspace, jobId } = res.body);
      expect(await row(workspace.id)).toMatchObject({ status: 'provisioning', desired_state: 'running', queued_job_id: jobId });
      expect(stack.logLines.some((l) => l.includes('enqueue failed') && l.includes(workspace.id))).toBe(true);

      // nothing can run it while Redis is down
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await row(workspace.id)).toMatchObject({ status: 'provisioning', queued_job_id: jobId, running_job_id: null });
    });
    // the job the API could not add exists only in Postgres: the reconciler adds it again
    const ws = await stack.waitForJob(workspace.id, jobId, 'online', 45_000);
    expect(ws).toMatchObject({ status: 'online', lastError: null });
    expect(stack.logLines.some((l) => l.includes('re-enqueued a job Redis had lost') && l.includes(jobId))).toBe(true);
    const events = await stack.events(workspace.id);
    expect(events.map((e) => [e.from, e.to, e.jobId])).toEqual([
      [null, 'provisioning', jobId],
      ['provisioning', 'online', jobId],
    ]);
    expect((await stack.docker.getContainer(ws.containerName).inspect()).State.Running).toBe(true);
    expect((await readyz(stack)).status).toBe(200);
  });

  it('an online workspace stays online through an outage, and a restart works end to end afterwards', async () => {
    const { workspace } = await stack.create('busybox', 'through-the-outage');
    const ws = await stack.waitForStatus(workspace.id, 'online');
    await waitForReadyz(stack, 200);
    // online is written before the job frees its run slot: snapshot once it is free
    const before = await waitFor('the run slot to be free', async () => {
      const r = await row(ws.id);
      return r.running_job_id === null && r.queued_job_id === null ? r : undefined;
    });
    const eventsBefore = await stack.events(ws.id);
    const since = stack.logLines.length;

    await outage(async () => {
      await waitForReadyz(stack, 503, 10_000);
      // the workers notice (leader lock lost) before we look at Postgres again
      await waitFor('the worker to notice Redis is gone', async () =>
        stack.logLines.slice(since).some((l) => /Redis unavailable|leadership lost|worker error/.test(l)) || undefined,
      { timeoutMs: 15_000 });
      await new Promise((r) => setTimeout(r, 2_000)); // the outage itself: stay down a little while
      expect(await row(ws.id)).toEqual(before);
      expect(await stack.events(ws.id)).toEqual(eventsBefore);
      expect((await stack.docker.getContainer(ws.containerName).inspect()).State.Running).toBe(true);
    });
    await waitForReadyz(stack, 200, 15_000);
    expect(await row(ws.id)).toEqual(before);

    const restart = await stack.request('POST', `/v1/workspaces/${ws.id}/restart`, { body: { reason: 'after the outage' } });
    expect(restart.status).toBe(202);
    const after = await stack.waitForJob(ws.id, restart.body.jobId, 'online', 45_000);
    expect(after).toMatchObject({ status: 'online', lastError: null, generation: before.generation + 1 });
    const restartEvents = (await stack.events(ws.id)).filter((e) => e.jobId === restart.body.jobId && e.attempt !== null);
    expect(restartEvents.filter((e) => e.from !== e.to).map((e) => [e.from, e.to])).toEqual([
      ['online', 'provisioning'],
      ['provisioning', 'online'],
    ]);
    expect(restartEvents.some((e) => e.from === e.to && /volume healthy/.test(e.message))).toBe(true);
    await stack.waitForIdle(ws.id); // the job removes its volume helper, then frees the workspace
    const containers = await stack.docker.listContainers({ all: true, filters: { label: [`dockyard.workspace-id=${ws.id}`] } });
    expect(containers).toHaveLength(1);
    expect(containers[0]!.State).toBe('running');
  });

  it('the workers keep taking jobs after Redis restarted twice in a row and after a long outage', async () => {
    const LONG_OUTAGE_MS = Number(process.env.DOCKYARD_TEST_LONG_OUTAGE_MS ?? 60_000);
    const { workspace } = await stack.create('busybox', 'outages');
    await stack.waitForStatus(workspace.id, 'online');
    const restartAndWait = async (reason: string) => {
      await waitForReadyz(stack, 200, 15_000);
      const res = await stack.request('POST', `/v1/workspaces/${workspace.id}/restart`, { body: { reason } });
      expect(res.status).toBe(202);
      const started = Date.now();
      await stack.waitForJob(workspace.id, res.body.jobId, 'online', 45_000);
      return Date.now() - started;
    };
    // twice in a row, back to back
    await outage(async () => undefined);
    await outage(async () => undefined);
    const afterTwo = await restartAndWait('after two restarts of Redis');
    // a long one
    await outage(async () => {
      await waitForReadyz(stack, 503, 10_000);
      await new Promise((r) => setTimeout(r, LONG_OUTAGE_MS));
    });
    const afterLong = await restartAndWait(`after ${LONG_OUTAGE_MS / 1000} s without Redis`);
    console.log(`[redis-outage] restart → online after two Redis restarts: ${afterTwo} ms; after a ${LONG_OUTAGE_MS / 1000} s outage: ${afterLong} ms`);
    await stack.waitForIdle(workspace.id);
    expect((await row(workspace.id)).status).toBe('online');
  }, 180_000);
});
