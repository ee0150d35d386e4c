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

/** Keys whose request hash is an older Dockyard's unkeyed SHA-256 (hex), for the re-seal to key. */
export async function listUnkeyedRequestHashes(q: Queryable): Promise<Array<{ key: string; requestHash: string }>> {
  const { rows } = await q.query<{ key: string; request_hash: string }>(
    `select key, request_hash from idempotency_keys where request_hash ~ '^[0-9a-f]{64}$'`,
  );
  return rows.map((r) => ({ key: r.key, requestHash: r.request_hash }));
}

/** Replace one key's request hash, if it is still `was`. */
export async function replaceRequestHash(q: Queryable, key: string, was: string, now: string): Promise<boolean> {
  const { rowCount } = await q.query('update idempotency_keys set request_hash = $3 where key = $1 and request_hash = $2', [key, was, now]);
  return (rowCount ?? 0) > 0;
}
