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
 * A batch per pass of the event loop, nothing cached: every call is answered by a batch that
 * started after it was made, as a call of its own would be. Scheduled with setImmediate, not
 * DataLoader's default (the end of the current tick): each socket's request arrives in an I/O
 * callback of its own, and the calls of all the callbacks of one pass of the event loop's poll
 * phase must share the batch.
 */
export function batchPerPass<K, V>(run: (keys: K[]) => Promise<V[]>, maxBatchSize: number): (key: K) => Promise<V> {
  const loader = new DataLoader<K, V>((keys) => run([...keys]), { cache: false, maxBatchSize, batchScheduleFn: (go) => setImmediate(go) });
  return (key) => loader.load(key);
}

/**
 * Read workspaces the way a busy API asks for them: the reads of one pass of the event loop go
 * to Postgres as one statement (`where id = any(...)`), not one round trip each (batchPerPass).
 * A key that is not a canonical uuid is read alone (a bad one fails only its caller).
 */
export function makeWorkspaceReader(pool: Queryable, maxBatchSize = 100): WorkspaceReader {
  const read = batchPerPass<string, WorkspaceRow | undefined>(async (ids) => {
    const { rows } = await pool.query<WorkspaceRow>('select * from workspaces where id = any($1::uuid[])', [ids]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id.toLowerCase()));
  }, maxBatchSize);
  return (id) => (CANONICAL_UUID.test(id) ? read(id) : getWorkspace(pool, id));
}
