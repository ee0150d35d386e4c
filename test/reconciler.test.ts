import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { deleteKeysUnder } from './helpers/redis-keys.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { useStack, type StackOptions } from './helpers/use-stack.ts';
import { containerExists } from './helpers/docker.ts';
import { waitForEvent } from './helpers/stack-waits.ts';
import { waitFor } from './helpers/wait.ts';

/** No watcher: only the reconciler may notice drift here. */
const NO_WATCHER: StackOptions = { worker: false, env: { WORKER_ROLES: 'jobs,reconciler', RECONCILE_INTERVAL_MS: '500' } };

/** "Redis lost": every key of this installation's queues goes (other test files share the server). */
async function flushQueues(on: Stack) {
  await deleteKeysUnder(on.env.REDIS_URL!, on.env.QUEUE_PREFIX!);
}

/** Postgres is the source of truth: the reconciler re-derives lost work from it. */
describe('reconciler', () => {
  const stack = useStack(NO_WATCHER);

  it('brings back a workspace whose container vanished after Redis lost every queue', async () => {
    await stack.startWorker();
    const { workspace } = await stack.create('busybox', 'drifted');
    const ws = await stack.waitForStatus(workspace.id, 'online');
    await flushQueues(stack);
    await stack.docker.getContainer(ws.containerName).remove({ force: true });
    // "not running" when a pass lists the container while Docker is still removing it
    await waitForEvent(stack, ws.id, { to: 'online', cause: /^reconciler: container (missing|not running)$/ }, 30_000).catch(async (err) => {
      // say what happened instead, for the next reader
      const row = (await stack.pool.query('select status, queued_job_id, running_job_id, lease_until from workspaces where id = $1', [ws.id])).rows[0];
      const lines = stack.logLines.filter((l) => /reconcil|leader|re-enqueued|stale|superseded/.test(l)).slice(-30);
      throw new Error(`${err.message}\nrow: ${JSON.stringify(row)}\nevents: ${JSON.stringify(await stack.events(ws.id))}\nlog:\n${lines.join('\n')}`);
    });
    expect((await stack.docker.getContainer(ws.containerName).inspect()).State.Running).toBe(true);
  });

  it('an accepted request survives the loss of Redis before any worker ran it', async () => {
    const quiet = await startStack(NO_WATCHER);
    try {
      const { workspace, jobId } = await quiet.create('busybox', 'survivor');
      await flushQueues(quiet);
      expect(await quiet.queues.provision.getJob(jobId)).toBeUndefined();
      await quiet.startWorker();
      const ws = await quiet.waitForJob(workspace.id, jobId, 'online', 30_000);
      expect(ws.status).toBe('online');
    } finally {
      await quiet.close();
    }
  });

  it('re-runs a workspace stuck in provisioning with no job anywhere', async () => {
    const quiet = await startStack(NO_WATCHER);
    try {
      const { workspace, jobId } = await quiet.create('busybox', 'stuck');
      // the job is gone (say, it failed while Postgres was down, so nothing recorded its end)
      await quiet.queues.provision.remove(jobId);
      await quiet.pool.query(
        `update workspaces set queued_job_id = null, queued_action = null, provision_started_at = now() - interval '1 hour' where id = $1`,
        [workspace.id],
      );
      await quiet.startWorker();
      await waitForEvent(quiet, workspace.id, { to: 'online', cause: 'reconciler: stuck in provisioning' }, 30_000);
      expect((await quiet.request('GET', `/v1/workspaces/${workspace.id}`)).body.status).toBe('online');
    } finally {
      await quiet.close();
    }
  });

  const makeOrphan = async (on: Stack, orphanId: string) => {
    const labels = Object.fromEntries(on.env.DOCKER_LABELS!.split(',').map((kv) => kv.split('=') as [string, string]));
    await on.docker.createContainer({
      name: `ws-${orphanId.slice(0, 12)}`,
      Image: process.env.DOCKYARD_TEST_IMAGE,
      Cmd: ['true'],
      Labels: { ...labels, 'molecule.platform.managed': 'true', 'dockyard.installation': on.installationId, 'dockyard.workspace-id': orphanId },
      HostConfig: { NetworkMode: 'none' },
    });
    return `ws-${orphanId.slice(0, 12)}`;
  };

  it('reports an orphan managed container but leaves it by default', async () => {
    const orphanId = randomUUID();
    const name = await makeOrphan(stack, orphanId);
    await waitFor('the orphan to be reported', async () =>
      stack.logLines.some((l) => l.includes('orphan managed container') && l.includes(orphanId)) || undefined,
    );
    expect(await containerExists(stack.docker, name)).toBe(true);
  });

  it('removes orphans when RECONCILE_REMOVE_ORPHANS=true, and only its own installation\'s', async () => {
    const cleaner = await startStack({
      worker: false,
      env: { WORKER_ROLES: 'reconciler', RECONCILE_INTERVAL_MS: '500', RECONCILE_REMOVE_ORPHANS: 'true' },
    });
    try {
      const mine = await makeOrphan(cleaner, randomUUID());
      const theirs = await makeOrphan(stack, randomUUID()); // another installation's
      await cleaner.startWorker();
      await waitFor('the orphan to be removed', async () => !(await containerExists(cleaner.docker, mine)) || undefined);
      expect(await containerExists(stack.docker, theirs)).toBe(true);
    } finally {
      await cleaner.close();
    }
  });
});
