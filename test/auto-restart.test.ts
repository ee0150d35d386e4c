import { describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { useStack } from './helpers/use-stack.ts';
import { waitForEvent } from './helpers/stack-waits.ts';
import { waitFor } from './helpers/wait.ts';

/** Auto-restart driven by the Docker events watcher, with crash-loop backoff. */
describe('auto-restart from Docker events', () => {
  const stack = useStack({
    env: { CRASH_BACKOFF_BASE_MS: '300', CRASH_BACKOFF_MAX_MS: '5000', CRASH_LOOP_LIMIT: '4', CRASH_RESET_AFTER_MS: '600000' },
  });

  it('docker kill of an online workspace → offline → online again, with no API call', async () => {
    const { workspace } = await stack.create('busybox', 'killed');
    const ws = await stack.waitForStatus(workspace.id, 'online');
    await stack.docker.getContainer(ws.containerName).kill();
    await waitForEvent(stack, ws.id, { to: 'online', cause: 'auto-restart: container died' });
    const events = await stack.events(ws.id);
    const died = events.find((e) => e.to === 'offline')!;
    expect(died).toMatchObject({ from: 'online', cause: 'auto-restart: container died' });
    expect(died.message).toMatch(/exit code 137/);
    const after = (await stack.request('GET', `/v1/workspaces/${ws.id}`)).body;
    expect(after).toMatchObject({ status: 'online', restartCount: 1, nextRestartAt: null });
    expect((await stack.docker.getContainer(ws.containerName).inspect()).State.Running).toBe(true);
  });

  it('a container that exits at once restarts with growing delays, then fails with "crash loop" and stays down', async () => {
    const { workspace } = await stack.create('crasher', 'crashy');
    const failed = await stack.waitForStatus(workspace.id, 'failed', 60_000);
    expect(failed.lastError).toMatch(/^crash loop: 5 crashes/);
    const events = await stack.events(workspace.id);
    // each restart: offline at the crash, provisioning when the delayed job starts
    const gaps: number[] = [];
    for (let i = 0; i < events.length; i++) {
      if (events[i].to !== 'offline') continue;
      const next = events.slice(i + 1).find((e) => e.to === 'provisioning');
      if (next) gaps.push(Date.parse(next.at) - Date.parse(events[i].at));
    }
    expect(gaps).toHaveLength(4);
    // backoff 0, 300, 600, 1200 ms: each wait longer than the one before
    expect(gaps[1]!).toBeGreaterThanOrEqual(250);
    for (let i = 2; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThan(gaps[i - 1]!);
    // no further restarts afterwards
    const count = events.length;
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await stack.events(workspace.id)).toHaveLength(count);
    expect((await stack.request('GET', `/v1/workspaces/${workspace.id}`)).body.status).toBe('failed');
    // an operator's restart clears the history (and, here, it crash-loops again from zero)
    const restart = await stack.request('POST', `/v1/workspaces/${workspace.id}/restart`, { body: {} });
    expect(restart.status).toBe(202);
    expect(restart.body.workspace.restartCount).toBe(0);
  });

  it("a paused workspace's container dying changes nothing and enqueues nothing", async () => {
    const { workspace } = await stack.create('busybox', 'paused');
    const ws = await stack.waitForStatus(workspace.id, 'online');
    const stop = await stack.request('POST', `/v1/workspaces/${ws.id}/stop`);
    await stack.waitForJob(ws.id, stop.body.jobId, 'paused');
    const before = (await stack.events(ws.id)).length;
    await stack.docker.getContainer(ws.containerName).start(); // someone starts it by hand …
    await stack.docker.getContainer(ws.containerName).kill(); // … and it dies
    await waitFor('the watcher to look at the death', async () =>
      stack.logLines.some((l) => l.includes(ws.id) && l.includes('container event needs no restart') && l.includes('paused')) || undefined,
    );
    const row = (await stack.pool.query('select status, queued_job_id from workspaces where id = $1', [ws.id])).rows[0];
    expect(row).toEqual({ status: 'paused', queued_job_id: null });
    expect(await stack.events(ws.id)).toHaveLength(before);
    expect(await stack.queues.restart.getJob(`${ws.id}.${ws.generation + 2}`)).toBeUndefined();
  });
});

describe('the watcher resumes from the last event it saw', () => {
  const stack = useStack({ worker: false });

  it('a container dying while the watcher is down is restarted when a watcher comes back', async () => {
    const a = stack.spawnWorker({ WORKER_ROLES: 'jobs,watcher' });
    const { workspace } = await stack.create('busybox', 'missed');
    const ws = await stack.waitForStatus(workspace.id, 'online', 60_000);
    await waitFor('the watcher to store its position', async () => (await stack.redisGet(`${stack.env.QUEUE_PREFIX}:watcher:since:local`)) ?? undefined);
    // the provision job writes online a moment before it frees the workspace: let it finish
    await waitFor('the run slot to be free', async () => {
      const { rows } = await stack.pool.query('select running_job_id from workspaces where id = $1', [ws.id]);
      return rows[0].running_job_id === null || undefined;
    });
    a.kill('SIGKILL');
    await once(a, 'exit');
    await stack.docker.getContainer(ws.containerName).kill();
    // no reconciler anywhere: only the resumed event stream can notice
    stack.spawnWorker({ WORKER_ROLES: 'jobs,watcher' });
    await waitForEvent(stack, ws.id, { to: 'online', cause: 'auto-restart: container died' }, 60_000);
    expect((await stack.docker.getContainer(ws.containerName).inspect()).State.Running).toBe(true);
  });
});

describe('a death heard of late', () => {
  const stack = useStack({ worker: false }); // a stack of its own: no watcher of another test hears the death live

  it('a death the watcher hears of only after the container was started again is history: no restart', async () => {
    const a = stack.spawnWorker({ WORKER_ROLES: 'jobs,watcher' });
    const { workspace } = await stack.create('busybox', 'history');
    const ws = await stack.waitForStatus(workspace.id, 'online', 60_000);
    const sinceKey = `${stack.env.QUEUE_PREFIX}:watcher:since:local`;
    await waitFor('the watcher to store its position', async () => (await stack.redisGet(sinceKey)) ?? undefined);
    await stack.waitForIdle(ws.id);
    a.kill('SIGKILL');
    await once(a, 'exit');
    const position = await stack.redisGet(sinceKey);
    const container = stack.docker.getContainer(ws.containerName);
    await container.kill();
    await container.start(); // started again (here by hand) before any watcher heard of the death
    const startedAt = (await container.inspect()).State.StartedAt;
    stack.spawnWorker({ WORKER_ROLES: 'jobs,watcher' });
    // the resumed stream hands the die event over: the watcher has handled it once its position moved past it
    await waitFor('the watcher to handle the missed event', async () => ((await stack.redisGet(sinceKey)) !== position ? true : undefined), { timeoutMs: 30_000 });
    expect((await stack.events(ws.id)).filter((e: any) => e.cause === 'auto-restart: container died')).toEqual([]);
    expect((await stack.request('GET', `/v1/workspaces/${ws.id}`)).body.status).toBe('online');
    expect((await container.inspect()).State.StartedAt).toBe(startedAt); // nobody restarted it
  });
});
