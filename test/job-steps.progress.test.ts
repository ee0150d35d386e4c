import { describe, expect, it } from 'vitest';
import { useStack } from './helpers/use-stack.ts';
import { waitFor } from './helpers/wait.ts';

/** What bull-board's Progress and Logs tabs read: BullMQ's job progress and job logs. */
describe('job steps in the queue UI: progress and one log line per step', () => {
  const stack = useStack();

  it('a finished restart reports its last step as progress and logs every step with its time and branch', async () => {
    const { workspace } = await stack.create('busybox', 'steps-restart');
    await stack.waitForStatus(workspace.id, 'online', 60_000);
    await stack.waitForIdle(workspace.id);
    const restart = await stack.request('POST', `/v1/workspaces/${workspace.id}/restart`, { body: { reason: 'steps test' } });
    expect(restart.status).toBe(202);
    await stack.waitForJob(workspace.id, restart.body.jobId, 'online', 60_000);

    const job = await waitFor('the restart job to complete', async () => {
      const j = await stack.queues.restart.getJob(restart.body.jobId);
      return (await j?.isCompleted()) ? j : undefined;
    });
    // the step it was in, with the checkpoint it started from: the steps done and what they found
    expect(job!.progress).toEqual({
      step: 'wait-running',
      index: 6,
      of: 6,
      done: ['stop-container', 'preflight', 'recover', 'create-container', 'start'],
      state: { stopped: true, hasConfig: true, hasMarker: true, branch: 'volume healthy' },
    });

    const { logs } = await stack.queues.restart.getJobLogs(restart.body.jobId);
    const steps = ['stop-container', 'preflight', 'recover', 'create-container', 'start', 'wait-running'];
    steps.forEach((step, i) => {
      const line = logs.find((l) => l.startsWith(`attempt 1 [${i + 1}/6] ${step}: `));
      expect(line, `${step} in ${JSON.stringify(logs)}`).toMatch(/: done in \d+ ms \(\d{4}-\d\d-\d\dT.+Z → \d{4}-\d\d-\d\dT.+Z\)/);
    });
    expect(logs.find((l) => l.includes('] recover: '))).toContain('branch="volume healthy"');
    expect(logs.at(-1)).toMatch(/^attempt 1: finished → online \(restarted: volume healthy\)$/);
    // in step order
    const order = steps.map((s) => logs.findIndex((l) => l.includes(`] ${s}: `)));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('a dead-lettered job logs the step that failed, with its error', async () => {
    const { workspace, jobId } = await stack.create('notemplate', 'steps-broken');
    await stack.waitForStatus(workspace.id, 'failed', 60_000);
    await stack.waitForIdle(workspace.id);
    const job = await stack.queues.provision.getJob(jobId);
    expect(job!.progress).toEqual({ step: 'seed', index: 2, of: 6, done: ['create-volume'], state: { volumeCreated: true } });
    const { logs } = await stack.queues.provision.getJobLogs(jobId);
    expect(logs[0]).toMatch(/^attempt 1 \[1\/6\] create-volume: done in \d+ ms .* volumeCreated=true$/);
    expect(logs[1]).toMatch(/^attempt 1 \[2\/6\] seed: failed after \d+ ms .* — no template for runtime notemplate.* \(failed for good: dead-lettered\)$/);
    expect(logs).toHaveLength(2);
  });
});
