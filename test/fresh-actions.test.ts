import { describe, expect, it } from 'vitest';
import { getWorkspace, jobIdOf, makeFreshActionWriter, type FreshAction, type Queryable } from '@dockyard/shared';
import { useStack } from './helpers/use-stack.ts';

/**
 * The API takes a request's new generation through a batching writer: the fresh actions of one
 * event-loop turn share one statement and one commit. Each caller must get its own row as written
 * (or nothing, and then take the transactional path): a second request for a workspace of the
 * batch, a stale generation, or a row another transaction holds locked, which is skipped, never
 * waited for.
 */
describe('batched fresh actions', () => {
  const stack = useStack({ worker: false });

  /** workspaces with nothing waiting (the stack runs no worker, so their provisions stay queued: cleared here) */
  async function idleWorkspaces(n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await stack.create('busybox', `fresh-${Date.now()}-${i}`)).workspace.id);
    await stack.pool.query(`update workspaces set queued_job_id = null, queued_action = null, step = null where id = any($1::uuid[])`, [ids]);
    return ids;
  }
  const freshFor = async (id: string): Promise<FreshAction> => {
    const generation = (await getWorkspace(stack.pool, id))!.generation + 1;
    return { generation, jobId: jobIdOf(id, generation), action: { kind: 'restart', cause: 'test', applyTemplate: false, auto: false }, desiredState: 'running', resetCrashLoop: false };
  };
  const counting = (statements: string[]): Queryable => ({
    query: ((text: string, values?: unknown[]) => {
      statements.push(text);
      return stack.pool.query(text, values);
    }) as Queryable['query'],
  });

  it('writes every caller its own new generation in one statement, committed', async () => {
    const ids = await idleWorkspaces(5);
    const statements: string[] = [];
    const write = makeFreshActionWriter(counting(statements));
    const asks = await Promise.all(ids.map(freshFor));
    const stale = { ...asks[1]!, generation: asks[1]!.generation + 1 };
    const rows = await Promise.all([...ids.map((id, i) => write(id, asks[i]!)), write(ids[0]!, asks[0]!), write(ids[1]!.toUpperCase(), stale)]);
    expect(statements).toHaveLength(1);
    for (const [i, id] of ids.entries()) {
      expect(rows[i]).toMatchObject({ id, generation: asks[i]!.generation, queued_job_id: asks[i]!.jobId, queued_action: asks[i]!.action, step: 'queued' });
      expect(await getWorkspace(stack.pool, id)).toEqual(rows[i]); // as committed, seen from another connection
    }
    expect(rows.slice(ids.length)).toEqual([undefined, undefined]); // the second request for a workspace; the stale generation
  });

  it('skips a row another transaction holds locked instead of waiting for it', async () => {
    const ids = await idleWorkspaces(3);
    const asks = await Promise.all(ids.map(freshFor));
    const holder = await stack.pool.connect();
    try {
      await holder.query('begin');
      await holder.query('select 1 from workspaces where id = $1 for update', [ids[0]]);
      const write = makeFreshActionWriter(stack.pool);
      const started = Date.now();
      const rows = await Promise.all(ids.map((id, i) => write(id, asks[i]!)));
      expect(Date.now() - started).toBeLessThan(5_000); // not the 30 s a lock wait would take
      expect(rows[0]).toBeUndefined();
      expect(rows.slice(1).map((r) => r?.queued_job_id)).toEqual([asks[1]!.jobId, asks[2]!.jobId]);
    } finally {
      await holder.query('rollback');
      holder.release();
    }
    expect((await getWorkspace(stack.pool, ids[0]!))!.queued_job_id).toBeNull();
  });
});
