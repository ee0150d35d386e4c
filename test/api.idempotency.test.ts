import { describe, expect, it } from 'vitest';
import { useStack } from './helpers/use-stack.ts';

describe('Idempotency-Key on create', () => {
  const stack = useStack({ worker: false });

  const count = async () => Number((await stack.pool.query('select count(*) from workspaces')).rows[0].count);

  it('returns the same workspace for the same key, sequentially', async () => {
    const before = await count();
    const body = { name: 'idem', runtime: 'busybox' };
    const a = await stack.request('POST', '/v1/workspaces', { body, headers: { 'idempotency-key': 'key-seq' } });
    const b = await stack.request('POST', '/v1/workspaces', { body, headers: { 'idempotency-key': 'key-seq' } });
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(b.body.workspace.id).toBe(a.body.workspace.id);
    expect(b.body.jobId).toBe(a.body.jobId);
    expect(await count()).toBe(before + 1);
  });

  it('returns one workspace for 20 concurrent requests with the same key', async () => {
    const before = await count();
    const body = { name: 'idem-concurrent', runtime: 'busybox' };
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => stack.request('POST', '/v1/workspaces', { body, headers: { 'idempotency-key': 'key-par' } })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(202));
    expect(new Set(answers.map((a) => a.body.workspace.id)).size).toBe(1);
    expect(await count()).toBe(before + 1);
    const jobs = await stack.queues.provision.getJobCounts();
    expect(Object.values(jobs).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
  });

  it('answers 409 when the key is reused with a different body', async () => {
    await stack.request('POST', '/v1/workspaces', { body: { name: 'one', runtime: 'busybox' }, headers: { 'idempotency-key': 'key-diff' } });
    const res = await stack.request('POST', '/v1/workspaces', { body: { name: 'two', runtime: 'busybox' }, headers: { 'idempotency-key': 'key-diff' } });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CONFLICT');
  });

  it('creates distinct workspaces without a key', async () => {
    const before = await count();
    const body = { name: 'nokey', runtime: 'busybox' };
    const [a, b] = await Promise.all([stack.request('POST', '/v1/workspaces', { body }), stack.request('POST', '/v1/workspaces', { body })]);
    expect(a.body.workspace.id).not.toBe(b.body.workspace.id);
    expect(await count()).toBe(before + 2);
  });
});
