import type { Queryable } from './pool.ts';

/**
 * Claim an idempotency key inside the caller's transaction. A concurrent claim of
 * the same key blocks on the primary key until the first commits, then sees it.
 * Returns the existing entry when the key was already used.
 */
export async function claimIdempotencyKey(
  q: Queryable,
  key: string,
  requestHash: string,
  workspaceId: string,
): Promise<{ workspaceId: string; requestHash: string } | undefined> {
  const inserted = await q.query(
    `insert into idempotency_keys (key, request_hash, workspace_id) values ($1, $2, $3::uuid)
     on conflict (key) do nothing`,
    [key, requestHash, workspaceId],
  );
  if (inserted.rowCount) return undefined;
  const { rows } = await q.query<{ workspace_id: string; request_hash: string }>(
    'select workspace_id, request_hash from idempotency_keys where key = $1',
    [key],
  );
  const row = rows[0]!;
  return { workspaceId: row.workspace_id, requestHash: row.request_hash };
}
