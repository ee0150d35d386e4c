import { describe, expect, it, onTestFinished } from 'vitest';
import { once } from 'node:events';
import { useStack } from './helpers/use-stack.ts';
import { waitFor } from './helpers/wait.ts';
import { startDockerFaultProxy } from './helpers/docker-fault-proxy.ts';
import { testEnv } from './helpers/env.ts';

/**
 * Real worker processes. The "stubborn" runtime ignores SIGTERM, so stopping its
 * container takes STOP_TIMEOUT_S: a window in which to kill or stop the worker mid-step.
 */
describe('crash safety with real worker processes', () => {
  const stack = useStack({ worker: false, env: { STOP_TIMEOUT_S: '4' } });

  const waitForStep = (id: string, step: string) =>
    waitFor(`workspace ${id} at step ${step}`, async () => (await stack.request('GET', `/v1/workspaces/${id}`)).body.step === step, {
      timeoutMs: 30_000,
      intervalMs: 50,
    });

  const startedLogLine = (child: import('node:child_process').ChildProcess) =>
    new Promise<void>((resolve) => child.stdout!.on('data', (d) => String(d).includes('worker started') && resolve()));

  it('a worker killed with SIGKILL mid-restart: another worker finishes the job; one container exists', async () => {
    const a = stack.spawnWorker();
    const { workspace } = await stack.create('stubborn', 'crashy');
    const ws = await stack.waitForStatus(workspace.id, 'online', 60_000);
    const restart = await stack.request('POST', `/v1/workspaces/${ws.id}/restart`, { body: { reason: 'crash test' } });
    await waitForStep(ws.id, 'stop-container');
    a.kill('SIGKILL');
    await once(a, 'exit');
    expect((await stack.request('GET', `/v1/workspaces/${ws.id}`)).body.status).toBe('provisioning');

    const b = stack.spawnWorker();
    onTestFinished(async () => {
      // never leave this worker to race the next test, pass or fail
      if (b.exitCode === null && b.signalCode === null) b.kill('SIGKILL');
    });
    const after = await stack.waitForJob(ws.id, restart.body.jobId, 'online', 60_000);
    expect(after).toMatchObject({ status: 'online', step: null, lastError: null });
    await stack.waitForIdle(ws.id); // the job removes its volume helper, then frees the workspace
    const containers = await stack.docker.listContainers({ all: true, filters: { label: [`dockyard.workspace-id=${ws.id}`] } });
    expect(containers.map((c) => c.Names[0])).toEqual([`/${ws.containerName}`]);
    expect(containers[0]!.State).toBe('running');
    const row = (await stack.pool.query('select running_job_id, queued_job_id from workspaces where id = $1', [ws.id])).rows[0];
    expect(row).toEqual({ running_job_id: null, queued_job_id: null });
    b.kill('SIGTERM');
    expect(await once(b, 'exit')).toEqual([0, null]);
  });

  it('a worker killed mid-provision: the job runs again from the checkpoint its progress carries, skipping the steps done', async () => {
    // the container create reaches the engine, but its answer is withheld: the job waits in create-container
    const proxy = await startDockerFaultProxy(testEnv().dockerHost);
    const a = stack.spawnWorker({ DOCKER_HOST: proxy.url });
    onTestFinished(async () => {
      if (a.exitCode === null && a.signalCode === null) a.kill('SIGKILL');
      await proxy.close();
    });
    proxy.hangNext(1, /\/containers\/create\?name=ws-[0-9a-f-]{12}(&|$)/, { method: 'POST', ms: 30_000 });
    const { workspace, jobId } = await stack.create('busybox', 'resumed');
    await waitForStep(workspace.id, 'create-container');
    a.kill('SIGKILL');
    await once(a, 'exit');
    const done = ['create-volume', 'seed', 'mark-provisioned'];
    expect((await stack.queues.provision.getJob(jobId))!.progress).toMatchObject({ step: 'create-container', index: 4, done, state: { volumeCreated: true, seeded: true } });

    const b = stack.spawnWorker();
    onTestFinished(async () => {
      if (b.exitCode === null && b.signalCode === null) b.kill('SIGKILL');
    });
    expect((await stack.waitForJob(workspace.id, jobId, 'online', 60_000)).status).toBe('online');
    const { logs } = await stack.queues.provision.getJobLogs(jobId);
    expect(logs.filter((l) => l.endsWith(': skipped (an earlier attempt finished it)'))).toEqual(done.map((s, i) => `attempt 1 [${i + 1}/6] ${s}: skipped (an earlier attempt finished it)`));
    expect(logs.filter((l) => /\] seed: done/.test(l))).toHaveLength(1); // seeded once
    b.kill('SIGTERM');
    expect(await once(b, 'exit')).toEqual([0, null]);
  });

  it('SIGTERM lets the worker finish its current job, then exit 0', async () => {
    // the deadline must outlast the job's remaining work (a 4 s stop) even on a loaded machine
    const w = stack.spawnWorker({ SHUTDOWN_TIMEOUT_MS: '20000' });
    await startedLogLine(w);
    const { workspace } = await stack.create('stubborn', 'graceful');
    const ws = await stack.waitForStatus(workspace.id, 'online', 60_000);
    const restart = await stack.request('POST', `/v1/workspaces/${ws.id}/restart`, { body: {} });
    await waitForStep(ws.id, 'stop-container');
    w.kill('SIGTERM');
    const [code] = await once(w, 'exit');
    expect(code).toBe(0);
    // the job finished before the process left
    const events = (await stack.request('GET', `/v1/workspaces/${ws.id}/events?limit=5`)).body.items;
    expect(events.some((e: any) => e.jobId === restart.body.jobId && e.to === 'online')).toBe(true);
  });

  // The figure (about 12 s alone, target 15 s) is printed for docs/RELIABILITY.md, not asserted:
  // beside the other files on 2 cores it varies; the test asserts that the job runs again at all.
  it('with the default timings, a SIGKILLed worker\'s job runs again (time printed)', async () => {
    const DEFAULTS = { JOB_LOCK_MS: '', STALLED_INTERVAL_MS: '', LEASE_MS: '' }; // empty = the production defaults
    // only `a` runs while the job starts, so `a` holds it (its 10 s stop keeps it busy); `b` joins before the kill
    const a = stack.spawnWorker({ ...DEFAULTS, STOP_TIMEOUT_S: '10' });
    const workers = [a];
    onTestFinished(async () => {
      for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    });
    const { workspace } = await stack.create('stubborn', 'defaults');
    const ws = await stack.waitForStatus(workspace.id, 'online', 60_000);
    await stack.waitForIdle(ws.id);
    const restart = await stack.request('POST', `/v1/workspaces/${ws.id}/restart`, { body: { reason: 'default timings' } });
    await waitForStep(ws.id, 'stop-container');
    const slot = async () => (await stack.pool.query('select running_job_id, running_token from workspaces where id = $1', [ws.id])).rows[0];
    const before = await slot();
    const b = stack.spawnWorker(DEFAULTS);
    workers.push(b);
    await startedLogLine(b);
    a.kill('SIGKILL');
    await once(a, 'exit');
    const killedAt = Date.now();
    await waitFor('the job taken up again by the other worker', async () => {
      const now = await slot();
      return (now.running_job_id === restart.body.jobId && now.running_token !== before.running_token) || undefined;
    }, { timeoutMs: 30_000, intervalMs: 100 });
    const resumedAfter = Date.now() - killedAt;
    console.log(`[worker-crash] default timings: the killed worker's job ran again ${resumedAfter} ms after the kill`);
    expect((await stack.waitForJob(ws.id, restart.body.jobId, 'online', 60_000)).status).toBe('online');
  }, 120_000);
});
