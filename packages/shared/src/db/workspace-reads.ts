import DataLoader from 'dataloader';
import type { Queryable } from './pool.ts';
import { getWorkspace, type WorkspaceRow } from './workspaces.ts';

/** The canonical text of a uuid: what `= any($1::uuid[])` can take for every key of a batch. */
export const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type WorkspaceReader = (id: string) => Promise<WorkspaceRow | undefined>;

/** The reader a caller gave (the API's batching one), else one query per read. */
export const readerOf = (deps: { pool: Queryable; readWorkspace?: WorkspaceReader }): WorkspaceReader =>
  deps.readWorkspace ?? ((id) => getWorkspace(deps.pool, id));

/**
 * Read workspaces the way a busy API asks for them: the reads of one pass of the event loop go
 * to Postgres as one statement (`where id = any(...)`), not one round trip each. Nothing is cached:
 * every read is answered by a statement that started after it was asked, as a read of its own
 * would be. A key that is not a canonical uuid is read alone (a bad one fails only its caller).
 */
export function makeWorkspaceReader(pool: Queryable, maxBatchSize = 100): WorkspaceReader {
  const batch = new DataLoader<string, WorkspaceRow | undefined>(
    async (ids) => {
      const { rows } = await pool.query<WorkspaceRow>('select * from workspaces where id = any($1::uuid[])', [ids]);
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id.toLowerCase()));
    },
    // setImmediate, not DataLoader's default (the end of the current tick): each socket's request
    // arrives in an I/O callback of its own, and the reads of all the callbacks of one pass of the
    // event loop's poll phase must share the statement
    { cache: false, maxBatchSize, batchScheduleFn: (run) => setImmediate(run) },
  );
  return (id) => (CANONICAL_UUID.test(id) ? batch.load(id) : getWorkspace(pool, id));
}
