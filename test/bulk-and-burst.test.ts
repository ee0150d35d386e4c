import { describe, expect, it } from 'vitest';
import { useStack } from './helpers/use-stack.ts';
import { waitFor } from './helpers/wait.ts';

/** Restart storms stay calm: bursts coalesce, bulk restarts are paced. */
describe('bursts of events and bulk restarts', () => {
  const stack = useStack({ env: { RESTART_CONCURRENCY: '3', RESTART_RATE_PER_SEC: '20', WORKER_CONCURRENCY: '10' } });

  const createOnline = async (n: number, name: string) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await stack.create('busybox', `${name}-${i}`)).workspace.id);
    for (const id of ids) await stack.waitForStatus(id, 'online', 120_000);
    return ids;
  };
  const restartJobsOf = async (id: string) =>
    new Set((await stack.events(id)).filter((e) => e.attempt !== null && e.jobId !== `${id}.1`).map((e) => e.jobId)).size;

  it('1,000 outside events for 10 workspaces restart each at most twice', async () => {
    const ids = await createOnline(10, 'burst');
    const bodies = Array.from({ length: 1000 }, (_, i) => ({
      type: i % 2 ? 'container.died' : 'liveness.lost',
      workspaceId: ids[i % 10],
      detail: `probe ${i}`,
    }));
    const statuses: number[] = [];
    for (let i = 0; i < bodies.length; i += 50) {
      const batch = await Promise.all(bodies.slice(i, i + 50).map((body) => stack.request('POST', '/v1/events', { body })));
      statuses.push(...batch.map((r) => r.status));
    }
    expect(statuses.every((s) => s === 202)).toBe(true);
    for (const id of ids) await stack.waitForStatus(id, 'online', 60_000);
    await waitFor('every queued restart to finish', async () => {
      const { rows } = await stack.pool.query('select count(*)::int as n from workspaces where queued_job_id is not null or running_job_id is not null');
      return rows[0].n === 0 || undefined;
    });
    for (const id of ids) {
      const restarts = await restartJobsOf(id);
      expect(restarts).toBeGreaterThanOrEqual(1);
      expect(restarts).toBeLessThanOrEqual(2);
    }
  });

  it('answers accepted: false for paused workspaces and 404 for unknown ones', async () => {
    const [id] = await createOnline(1, 'paused');
    const stop = await stack.request('POST', `/v1/workspaces/${id}/stop`);
    await stack.waitForJob(id!, stop.body.jobId, 'paused');
    const res = await stack.request('POST', '/v1/events', { body: { type: 'container.died', workspaceId: id } });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: false, reason: 'workspace is paused (desired state stopped)' });
    const unknown = await stack.request('POST', '/v1/events', { body: { type: 'container.died', workspaceId: '00000000-0000-4000-8000-00000000beef' } });
    expect(unknown.status).toBe(404);
    const bad = await stack.request('POST', '/v1/events', { body: { type: 'exploded', workspaceId: id } });
    expect(bad.status).toBe(400);
  });

  it('ignores a death reported while a job holds the workspace (the job owns the container then)', async () => {
    const [id] = await createOnline(1, 'held');
    await stack.pool.query(
      `update workspaces set running_job_id = 'ghost.1', running_token = gen_random_uuid(), lease_until = now() + interval '1 minute',
              running_action = '{"kind":"restart","cause":"ghost","applyTemplate":false,"auto":false}' where id = $1`,
      [id],
    );
    const res = await stack.request('POST', '/v1/events', { body: { type: 'container.died', workspaceId: id } });
    expect(res.body).toEqual({ accepted: false, reason: 'job ghost.1 is already working on this workspace' });
    const row = (await stack.pool.query('select status, queued_job_id from workspaces where id = $1', [id])).rows[0];
    expect(row).toEqual({ status: 'online', queued_job_id: null });
    await stack.pool.query('update workspaces set running_job_id = null, running_token = null, lease_until = null, running_action = null where id = $1', [id]);
  });

  it('a bulk restart of 30 workspaces never runs more than the cap at once, and ends all online', async () => {
    const ids = await createOnline(30, 'bulk');
    expect((await stack.request('POST', '/v1/restarts', { body: {} })).status).toBe(400);
    const res = await stack.request('POST', '/v1/restarts', { body: { ids } });
    expect(res).toMatchObject({ status: 202, body: { count: 30 } });
    let maxActive = 0;
    await waitFor(
      'all 30 restarts to finish',
      async () => {
        maxActive = Math.max(maxActive, (await stack.queues.restart.getJobCounts('active')).active ?? 0);
        const done = await Promise.all(ids.map(async (id) => (await restartJobsOf(id)) >= 1 && (await stack.events(id)).at(-1)?.to === 'online'));
        return done.every(Boolean) || undefined;
      },
      { timeoutMs: 120_000, intervalMs: 50 },
    );
    expect(maxActive).toBeLessThanOrEqual(3);
    // the event log agrees: never more than 3 restart executions overlapping
    const spans: Array<[number, number]> = [];
    for (const id of ids) {
      const events = (await stack.events(id)).filter((e) => e.cause === 'bulk restart' && e.attempt !== null);
      spans.push([Date.parse(events[0].at), Date.parse(events.at(-1).at)]);
    }
    const points = spans.flatMap(([a, b]) => [[a, 1], [b, -1]] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let running = 0;
    let peak = 0;
    for (const [, d] of points) peak = Math.max(peak, (running += d));
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThanOrEqual(2); // the cap, not a single lane, paced them
  });
});
