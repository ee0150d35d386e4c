import { beforeAll, describe, expect, it } from 'vitest';
import { startStack } from './helpers/stack.ts';
import { useStack } from './helpers/use-stack.ts';

/** At most one job runs per workspace, across workers; at most one more waits; the rest coalesce. */
describe('one job per workspace at a time', () => {
  const stack = useStack();
  beforeAll(async () => {
    await stack.startWorker(); // a second worker, so two jobs of one workspace could be picked at once
  });

  it('20 concurrent restart requests: all 202, at most 2 executions, never overlapping', async () => {
    const { workspace } = await stack.create('busybox', 'hammered');
    await stack.waitForStatus(workspace.id, 'online');

    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => stack.request('POST', `/v1/workspaces/${workspace.id}/restart`, { body: { reason: `r${i}` } })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(202));
    const jobIds = [...new Set(answers.map((a) => a.body.jobId as string))];
    expect(jobIds.length).toBeGreaterThanOrEqual(1);
    expect(jobIds.length).toBeLessThanOrEqual(2);
    for (const jobId of jobIds) await stack.waitForJob(workspace.id, jobId, 'online');

    const events = (await stack.request('GET', `/v1/workspaces/${workspace.id}/events?limit=1000`)).body.items.reverse();
    const executions = new Map<string, { first: number; last: number }>();
    for (const e of events) {
      if (e.attempt === null || e.jobId === `${workspace.id}.1`) continue; // API rows and the provision
      const t = Date.parse(e.at);
      const span = executions.get(e.jobId) ?? { first: t, last: t };
      span.last = t;
      executions.set(e.jobId, span);
    }
    expect(executions.size).toBeGreaterThanOrEqual(1);
    expect(executions.size).toBeLessThanOrEqual(2);
    const spans = [...executions.values()].sort((a, b) => a.first - b.first);
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.first).toBeGreaterThanOrEqual(spans[i - 1]!.last);
    // the workspace row is idle again
    const row = (await stack.pool.query('select running_job_id, queued_job_id from workspaces where id = $1', [workspace.id])).rows[0];
    expect(row).toEqual({ running_job_id: null, queued_job_id: null });
  });

  it('coalesces requests into the waiting job and returns its id', async () => {
    const quiet = await startStack({ worker: false }); // nothing runs, so the provision job stays waiting
    try {
      const created = await quiet.create('busybox', 'coalesce');
      const id = created.workspace.id;
      const answers = [];
      for (const body of [{}, { applyTemplate: true }, { reason: 'again' }]) {
        answers.push(await quiet.request('POST', `/v1/workspaces/${id}/restart`, { body }));
      }
      expect(answers.map((a) => a.body.jobId)).toEqual([created.jobId, created.jobId, created.jobId]);
      expect(await quiet.queues.provision.count()).toBe(1);
      expect(await quiet.queues.restart.count()).toBe(0);
      await quiet.startWorker();
      await quiet.waitForJob(id, created.jobId, 'online');
      const executions = new Set(
        (await quiet.request('GET', `/v1/workspaces/${id}/events`)).body.items.filter((e: any) => e.attempt !== null).map((e: any) => e.jobId),
      );
      expect([...executions]).toEqual([created.jobId]);
    } finally {
      await quiet.close();
    }
  });

  it('30 concurrent restarts merge into one waiting job: the template is applied because one asked, none is lost to a race', async () => {
    const quiet = await startStack({ worker: false });
    try {
      const worker = await quiet.startWorker();
      const created = await quiet.create('busybox', 'merge-race');
      const id = created.workspace.id;
      await quiet.waitForJob(id, created.jobId, 'online', 60_000);
      await quiet.waitForIdle(id);
      await worker.close(); // nothing runs now: every restart waits in the one queued job
      const templateAt = 17;
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          quiet.request('POST', `/v1/workspaces/${id}/restart`, { body: i === templateAt ? { applyTemplate: true } : { reason: `r${i}` } }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(30).fill(202));
      const jobIds = new Set(answers.map((a) => a.body.jobId));
      expect(jobIds.size).toBe(1);
      const row = (await quiet.pool.query('select queued_job_id, queued_action from workspaces where id = $1', [id])).rows[0];
      expect(row.queued_job_id).toBe([...jobIds][0]);
      expect(row.queued_action).toMatchObject({ kind: 'restart', applyTemplate: true });
      expect(await quiet.queues.restart.count()).toBe(1);
      await quiet.startWorker();
      const ws = await quiet.waitForJob(id, row.queued_job_id, 'online', 60_000);
      expect(ws.status).toBe('online');
      const events = (await quiet.request('GET', `/v1/workspaces/${id}/events`)).body.items;
      expect(events.some((e: any) => e.jobId === row.queued_job_id && /template re-applied/.test(e.message ?? ''))).toBe(true);
    } finally {
      await quiet.close();
    }
  });

  it('a stale job for an older generation is dropped and cannot overwrite the newer status', async () => {
    const { workspace } = await stack.create('busybox', 'stale');
    await stack.waitForStatus(workspace.id, 'online');
    const stop = await stack.request('POST', `/v1/workspaces/${workspace.id}/stop`);
    await stack.waitForJob(workspace.id, stop.body.jobId, 'paused');
    // a restart made for generation 1 arrives late (e.g. re-sent by an old producer)
    const late = await stack.queues.restart.add('restart', { workspaceId: workspace.id, generation: 1 }, { jobId: `${workspace.id}.stale` });
    for (let i = 0; i < 100 && !(await late.isCompleted()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await late.isCompleted()).toBe(true);
    expect((await stack.queues.restart.getJob(late.id!))!.returnvalue).toEqual({ outcome: 'superseded' });
    const row = (await stack.request('GET', `/v1/workspaces/${workspace.id}`)).body;
    expect(row.status).toBe('paused');
    expect((await stack.docker.getContainer(row.containerName).inspect()).State.Running).toBe(false);
  });
});
