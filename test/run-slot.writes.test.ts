import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimFreeRunSlot, makePool, setStep, writeFinalTransition, writeTransition, type Fence } from '@dockyard/shared';
import { startStack, type Stack } from './helpers/stack.ts';

/**
 * A job's bookkeeping writes, each one statement: the claim of a free run slot, a transition with
 * its event row, the final transition that also frees the slot, and the step write committed
 * without waiting for its WAL flush. Every one is fenced; none may leave a setting behind on the
 * pooled connection it used.
 */
describe("a job's one-statement writes", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ worker: false }); // nothing runs: the provision job stays queued for the test to claim
  });
  afterAll(() => stack?.close());

  const events = async (id: string) =>
    (await stack.pool.query('select from_status, to_status, job_id, attempt, message from workspace_events where workspace_id = $1 order by id', [id])).rows;

  it('claims a free slot once, writes fenced transitions and releases the slot with the final one', async () => {
    const created = await stack.create('busybox', 'slot-writes');
    const id: string = created.workspace.id;
    const entry = { kind: 'provision', enters: 'provisioning', firstStep: 'create-volume', attempt: 1 } as const;
    const lease = { workspaceId: id, jobId: created.jobId as string, token: '00000000-0000-4000-8000-000000000001', leaseMs: 60_000, ...entry };

    // a job that is not the queued one, the queued one as another kind, then the queued one, then again (no longer queued)
    expect(await claimFreeRunSlot(stack.pool, { ...lease, jobId: `${id}.99` })).toBeUndefined();
    expect(await claimFreeRunSlot(stack.pool, { ...lease, kind: 'restart' })).toBeUndefined();
    const before = (await events(id)).length;
    const claim = await claimFreeRunSlot(stack.pool, lease);
    expect(claim).toMatchObject({ kind: 'claimed', entered: false, action: { kind: 'provision' }, row: { running_job_id: created.jobId, queued_job_id: null, step: 'create-volume' } });
    expect((await events(id)).length).toBe(before); // already provisioning: no transition, no event row
    expect(await claimFreeRunSlot(stack.pool, lease)).toBeUndefined();

    const fence: Fence = { workspaceId: id, jobId: lease.jobId, token: lease.token };
    const stranger: Fence = { ...fence, token: '00000000-0000-4000-8000-000000000002' };
    const refused = (await events(id)).length;
    expect(await writeTransition(stack.pool, stranger, { to: 'failed', cause: 'test', attempt: 1 })).toBe(false);
    expect(await setStep(stack.pool, stranger, 'seed')).toBe(false);
    expect(await writeFinalTransition(stack.pool, stranger, { to: 'online', cause: 'test', attempt: 1 })).toBeUndefined();
    expect((await events(id)).length).toBe(refused); // a refused write writes no event row either

    expect(await setStep(stack.pool, fence, 'seed')).toBe(true);
    expect(await writeTransition(stack.pool, fence, { to: 'provisioning', cause: 'test', attempt: 1, message: 'entered' })).toBe(true);
    // a request queued behind the running job: the final write frees the slot and names it
    const queued = await stack.request('POST', `/v1/workspaces/${id}/restart`, { body: {} });
    expect(queued.status).toBe(202);
    const next = await writeFinalTransition(stack.pool, fence, { to: 'online', cause: 'test', attempt: 1, step: null, message: 'done' });
    expect(next).toEqual({ queuedJobId: queued.body.jobId, queuedKind: 'restart' });

    const row = (await stack.pool.query('select status, step, running_job_id, running_token, lease_until, queued_job_id from workspaces where id = $1', [id])).rows[0];
    expect(row).toEqual({ status: 'online', step: 'queued', running_job_id: null, running_token: null, lease_until: null, queued_job_id: queued.body.jobId });
    expect((await events(id)).slice(-2)).toEqual([
      { from_status: 'provisioning', to_status: 'provisioning', job_id: lease.jobId, attempt: 1, message: 'entered' },
      { from_status: 'provisioning', to_status: 'online', job_id: lease.jobId, attempt: 1, message: 'done' },
    ]);
    // the slot is free: the queued restart claims it in one statement, entering provisioning with its
    // event row and first step; the finished job's writes are refused
    const { cause } = (await stack.pool.query(`update workspaces set endpoint = '{"network":"none","alias":null,"ports":{}}' where id = $1 returning queued_action->>'cause' as cause`, [id])).rows[0];
    const nextLease = { ...lease, jobId: queued.body.jobId, token: '00000000-0000-4000-8000-000000000004', kind: 'restart', firstStep: 'stop-container', attempt: 2 } as const;
    expect(await claimFreeRunSlot(stack.pool, nextLease)).toMatchObject({
      kind: 'claimed',
      entered: true,
      action: { kind: 'restart' },
      row: { status: 'provisioning', step: 'stop-container', endpoint: null, running_job_id: queued.body.jobId },
    });
    expect((await events(id)).at(-1)).toEqual({ from_status: 'online', to_status: 'provisioning', job_id: queued.body.jobId, attempt: 2, message: null });
    expect((await stack.pool.query('select cause from workspace_events where workspace_id = $1 order by id desc limit 1', [id])).rows[0].cause).toBe(cause);
    expect(await setStep(stack.pool, fence, 'start')).toBe(false);
  });

  it('commits the step write asynchronously without leaving the setting on its connection', async () => {
    const created = await stack.create('busybox', 'async-step');
    const id: string = created.workspace.id;
    const one = makePool(stack.env.DATABASE_URL!, undefined, 1); // one connection: the next query runs where setStep ran
    try {
      const token = '00000000-0000-4000-8000-000000000003';
      await claimFreeRunSlot(one, { workspaceId: id, jobId: created.jobId, token, leaseMs: 60_000, kind: 'provision', enters: 'provisioning', firstStep: 'create-volume', attempt: 1 });
      await one.query('set synchronous_commit = on'); // the session's own setting (the tests' server defaults to off)
      expect(await setStep(one, { workspaceId: id, jobId: created.jobId, token }, 'create-volume')).toBe(true);
      expect((await one.query('show synchronous_commit')).rows[0].synchronous_commit).toBe('on');
      expect((await stack.pool.query('select step from workspaces where id = $1', [id])).rows[0].step).toBe('create-volume'); // visible at once
    } finally {
      await one.end();
    }
  });
});
