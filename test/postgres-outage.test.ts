import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './helpers/stack.ts';
import { startTcpProxy, viaHostPort } from './helpers/tcp-proxy.ts';
import { testEnv } from './helpers/env.ts';
import { waitForReadyz } from './helpers/stack-waits.ts';
import { waitFor } from './helpers/wait.ts';

type Proxy = Awaited<ReturnType<typeof startTcpProxy>>;

/** Postgres going away for real, through a proxy that cuts the stack's connections (the test's own pool stays direct). */
describe('Postgres outage', () => {
  let stack: Stack;
  let proxy: Proxy;
  const totalJobs = async () => {
    const counts = await Promise.all(
      (['provision', 'restart', 'stop', 'remove'] as const).map((k) => stack.queues[k].getJobCounts()),
    );
    return counts.flatMap((c) => Object.values(c)).reduce((a, b) => a + b, 0);
  };
  const containersOf = (id: string) => stack.docker.listContainers({ all: true, filters: { label: [`dockyard.workspace-id=${id}`] } });

  beforeAll(async () => {
    const admin = new URL(testEnv().adminDatabaseUrl);
    proxy = await startTcpProxy({ host: admin.hostname, port: Number(admin.port || 5432) });
    stack = await startStack({
      mapDatabaseUrl: (url) => viaHostPort(url, proxy.host, proxy.port),
      // the stubborn runtime ignores SIGTERM: a restart spends STOP_TIMEOUT_S in its stop-container step;
      // enough attempts and backoff (~0.5, 1, 2, 4 s) to ride out a 2 s outage
      env: { STOP_TIMEOUT_S: '3', RETRY_ATTEMPTS: '5', RETRY_BASE_DELAY_MS: '500' },
    });
  });
  afterAll(async () => {
    proxy?.restore();
    await stack?.close();
    await proxy?.close();
  });

  it('answers 503 while Postgres is cut, records nothing, and accepts the same request once it is back', async () => {
    const { workspace } = await stack.create('busybox', 'before-the-cut');
    await stack.waitForStatus(workspace.id, 'online');
    expect(proxy.openSockets).toBeGreaterThan(0); // the stack really talks through the proxy
    const jobsBefore = await totalJobs();
    const body = { name: 'after-the-cut', runtime: 'busybox' };
    const headers = { 'idempotency-key': `pg-outage-${stack.id}` };

    proxy.cut();
    const down = await waitForReadyz(stack, 503, 10_000);
    expect(down.body).toMatchObject({ error: { code: 'UNAVAILABLE', message: expect.stringContaining('postgres') } });
    expect(down.body.error.message).not.toContain('redis');
    expect((await stack.request('GET', '/healthz', { token: null })).status).toBe(200);

    const started = Date.now();
    const refused = await stack.request('POST', '/v1/workspaces', { body, headers, timeoutMs: 15_000 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(refused).toMatchObject({ status: 503, body: { error: { code: 'UNAVAILABLE' } } });
    const get = await stack.request('GET', `/v1/workspaces/${workspace.id}`, { timeoutMs: 15_000 });
    expect(get).toMatchObject({ status: 503, body: { error: { code: 'UNAVAILABLE' } } });
    // a request that was not recorded was not enqueued either
    expect(await totalJobs()).toBe(jobsBefore);
    expect((await stack.pool.query('select count(*)::int as n from workspaces where name = $1', [body.name])).rows[0].n).toBe(0);
    expect(stack.logLines.some((l) => l.includes('"level":50') && l.includes('unhandled error'))).toBe(false);

    proxy.restore();
    await waitForReadyz(stack, 200, 15_000);
    const accepted = await stack.request('POST', '/v1/workspaces', { body, headers });
    expect(accepted.status).toBe(202);
    const ws = await stack.waitForJob(accepted.body.workspace.id, accepted.body.jobId, 'online');
    expect(ws).toMatchObject({ status: 'online', lastError: null, name: body.name });
    expect((await stack.pool.query('select count(*)::int as n from workspaces where name = $1', [body.name])).rows[0].n).toBe(1);
    expect((await stack.request('GET', `/v1/workspaces/${workspace.id}`)).body.status).toBe('online');
  });

  it('a restart whose Postgres is cut mid-job retries its writes and ends online, with one container', async () => {
    const { workspace } = await stack.create('stubborn', 'cut-mid-job');
    const ws = await stack.waitForStatus(workspace.id, 'online');
    const restart = await stack.request('POST', `/v1/workspaces/${ws.id}/restart`, { body: { reason: 'cut me' } });
    expect(restart.status).toBe(202);
    const jobId: string = restart.body.jobId;

    const stepOf = async () => (await stack.pool.query('select step from workspaces where id = $1', [ws.id])).rows[0].step;
    await waitFor('the restart to reach stop-container', async () => (await stepOf()) === 'stop-container', { timeoutMs: 15_000, intervalMs: 25 });
    const stepStarted = Date.now();
    // cut while the container ignores SIGTERM (3 s), so the step ends — and the job writes — while Postgres is gone
    await new Promise((r) => setTimeout(r, 1_500));
    proxy.cut();
    await new Promise((r) => setTimeout(r, 2_000)); // the outage itself
    expect(await stepOf()).toBe('stop-container'); // nothing got through while cut
    proxy.restore();
    expect(Date.now() - stepStarted).toBeGreaterThan(3_000); // the step ended inside the outage

    const after = await stack.waitForJob(ws.id, jobId, ['online', 'failed', 'offline'], 45_000);
    const job = await stack.queues.restart.getJob(jobId);
    const attempts = (job?.data.attempts ?? []) as Array<{ attempt: number; step: string | null; error: string }>;
    expect(after, `attempts: ${JSON.stringify(attempts)}`).toMatchObject({ status: 'online', lastError: null, step: null });
    // the writes that failed during the outage were retried as transient errors, not dead-lettered
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.every((a) => /terminated|ECONNRESET|ECONNREFUSED|timeout/i.test(a.error))).toBe(true);
    expect((await stack.request('GET', '/v1/dead-letters')).body.items.filter((d: any) => d.workspaceId === ws.id)).toEqual([]);
    // the job frees its run slot (and, just before, removes its volume helper) right after writing online
    await waitFor('the run slot to be free', async () => {
      const row = (await stack.pool.query('select running_job_id, queued_job_id from workspaces where id = $1', [ws.id])).rows[0];
      return row.running_job_id === null && row.queued_job_id === null;
    }, { timeoutMs: 5_000 });
    const containers = await containersOf(ws.id);
    expect(containers).toHaveLength(1);
    expect(containers[0]!.State).toBe('running');
    const stuck = await stack.pool.query(`select id from workspaces where status = 'provisioning'`);
    expect(stuck.rows).toEqual([]);
  });
});
