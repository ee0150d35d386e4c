import { describe, expect, it } from 'vitest';
import { getWorkspace, jobIdOf, makeFreshRecorder, recordFreshAction, type FreshAsk, type Queryable } from '@dockyard/shared';
import { useStack } from './helpers/use-stack.ts';

/**
 * The API's request reads its workspace and, when nothing waits, takes the new generation in the
 * same statement, shared by the requests of one event-loop turn: one statement and one commit.
 * Each caller must get its own row as written, or the row as read (then it coalesces or takes the
 * transactional path): a second request for a workspace of the batch sees the first one's action
 * waiting, a row another transaction holds locked is read, never waited for.
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
  const restart: FreshAsk = { action: { kind: 'restart', cause: 'test', applyTemplate: false, auto: false }, desiredState: 'running', resetCrashLoop: false };
  const counting = (statements: string[]): Queryable => ({
    query: ((statement: string | { text: string }, values?: unknown[]) => {
      statements.push(typeof statement === 'string' ? statement : statement.text); // a named statement comes as its config
      return stack.pool.query(statement as string, values);
    }) as Queryable['query'],
  });

  it('writes every caller its own new generation in one statement, committed, and reads the rest', async () => {
    const ids = await idleWorkspaces(5);
    const before = await Promise.all(ids.map((id) => getWorkspace(stack.pool, id)));
    const waiting = await stack.create('busybox', `fresh-waiting-${Date.now()}`); // its provision waits
    const statements: string[] = [];
    const record = makeFreshRecorder(counting(statements));
    const missing = '00000000-0000-4000-8000-000000000000';
    const outcomes = await Promise.all([
      ...ids.map((id) => record(id, restart)),
      record(ids[0]!.toUpperCase(), restart),
      record(waiting.workspace.id, restart),
      record(missing, restart),
    ]);
    expect(statements).toHaveLength(1);
    for (const [i, id] of ids.entries()) {
      const generation = before[i]!.generation + 1;
      expect(outcomes[i]).toMatchObject({ fresh: true, row: { id, generation, queued_job_id: jobIdOf(id, generation), queued_action: restart.action, step: 'queued', desired_state: 'running' } });
      expect(await getWorkspace(stack.pool, id)).toEqual(outcomes[i]!.row); // as committed, seen from another connection
    }
    // the second request for a workspace sees the first one's action waiting (and coalesces into it)
    expect(outcomes[ids.length]).toEqual({ fresh: false, row: outcomes[0]!.row });
    // a workspace whose provision waits is only read
    expect(outcomes[ids.length + 1]).toMatchObject({ fresh: false, row: { id: waiting.workspace.id, generation: 1, queued_job_id: waiting.jobId } });
    expect(await getWorkspace(stack.pool, waiting.workspace.id)).toEqual(outcomes[ids.length + 1]!.row);
    expect(outcomes[ids.length + 2]).toBeUndefined();
  });

  it('reads a row another transaction holds locked instead of waiting for it; alone, it waits', async () => {
    const ids = await idleWorkspaces(3);
    const holder = await stack.pool.connect();
    let alone: Promise<unknown> | undefined;
    try {
      await holder.query('begin');
      await holder.query('select 1 from workspaces where id = $1 for update', [ids[0]]);
      const record = makeFreshRecorder(stack.pool);
      const started = Date.now();
      const outcomes = await Promise.all(ids.map((id) => record(id, restart)));
      expect(Date.now() - started).toBeLessThan(5_000); // not the 30 s a lock wait would take
      expect(outcomes[0]).toMatchObject({ fresh: false, row: { id: ids[0], queued_job_id: null } });
      expect(outcomes.slice(1).map((o) => o?.fresh)).toEqual([true, true]);
      // the statement of one request waits for the lock, then finds the holder's change
      let settled = false;
      alone = recordFreshAction(stack.pool, ids[0]!, restart).finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(settled).toBe(false);
      await holder.query(`update workspaces set queued_job_id = 'held', queued_action = $2 where id = $1`, [ids[0], JSON.stringify(restart.action)]);
    } finally {
      await holder.query('commit');
      holder.release();
    }
    // it did not write over the holder's action: read, not fresh
    expect(await alone).toMatchObject({ fresh: false });
    expect((await getWorkspace(stack.pool, ids[0]!))!.queued_job_id).toBe('held');
  });
});
