import { describe, expect, it } from 'vitest';
import { getWorkspace, makeWorkspaceReader, type Queryable } from '@dockyard/shared';
import { useStack } from './helpers/use-stack.ts';

/**
 * The API reads a request's workspace through a batching reader: the reads of one event-loop turn
 * share one statement. Each caller must still get its own row (or nothing), exactly as a query of
 * its own would answer, and a key that is not a canonical uuid must fail only its own caller.
 */
describe('batched workspace reads', () => {
  const stack = useStack({ worker: false });

  it('answers every caller its own row with fewer statements than reads', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await stack.create('busybox', `reads-${i}`)).workspace.id);
    const statements: string[] = [];
    const counting: Queryable = {
      query: ((text: string, values?: unknown[]) => {
        statements.push(text);
        return stack.pool.query(text, values);
      }) as Queryable['query'],
    };
    const read = makeWorkspaceReader(counting);
    const missing = '00000000-0000-4000-8000-000000000000';
    const asked = [...ids, missing, ids[0]!.toUpperCase(), ...ids];
    const rows = await Promise.all(asked.map((id) => read(id)));
    expect(rows.map((r) => r?.id)).toEqual(asked.map((id) => (id === missing ? undefined : id.toLowerCase())));
    for (const [i, id] of ids.entries()) expect(rows[i]).toEqual(await getWorkspace(stack.pool, id));
    expect(statements).toHaveLength(1);

    // reads of a later turn go out again: nothing is cached
    await stack.pool.query(`update workspaces set name = 'renamed' where id = $1`, [ids[0]]);
    expect((await read(ids[0]!))?.name).toBe('renamed');
    expect(statements).toHaveLength(2);

    // a malformed key is read alone and fails alone; the others of its turn are answered
    const [bad, good] = await Promise.allSettled([read('not-a-uuid'), read(ids[1]!)]);
    expect(bad.status).toBe('rejected');
    expect(good).toMatchObject({ status: 'fulfilled', value: { id: ids[1] } });
  });
});
