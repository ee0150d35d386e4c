import type pg from 'pg';
import type { SecretBox } from './secrets.ts';
import { withTransaction } from './db/pool.ts';
import { listEnvToReseal, lockWorkspace, setWorkspaceEnv, type WorkspaceRow } from './db/workspaces.ts';
import { listUnkeyedRequestHashes, replaceRequestHash } from './db/idempotency-keys.ts';

/** A workspace's env as Postgres keeps it: the sealed values and the names. */
export interface StoredEnv {
  sealed: string | null;
  names: string[];
}

/** Seal a workspace's env for Postgres (nothing to seal when it has none). */
export function sealEnv(box: SecretBox, workspaceId: string, env: Record<string, string>): StoredEnv {
  const names = Object.keys(env).sort();
  return { sealed: names.length ? box.seal(env, workspaceId) : null, names };
}

/** The env a workspace's container gets: the sealed values, over any an older Dockyard left in clear. Throws SecretsError. */
export function openWorkspaceEnv(box: SecretBox, row: Pick<WorkspaceRow, 'id' | 'env' | 'env_sealed'>): Record<string, string> {
  return { ...row.env, ...(row.env_sealed ? box.open(row.env_sealed, row.id) : {}) };
}

export interface ResealReport {
  /** workspaces whose env was sealed anew under SECRETS_KEY (clear, or under the previous key) */
  workspaces: number;
  /** idempotency keys whose unkeyed request hash was keyed */
  requestHashes: number;
}

/**
 * Seal every workspace's env under SECRETS_KEY: those an older Dockyard kept in clear, and those
 * sealed under SECRETS_KEY_PREVIOUS (a rotation). One row lock and transaction per workspace, so
 * it runs beside a live API. Also keys the unkeyed request hashes an older Dockyard stored. Safe to
 * run again: rows already under SECRETS_KEY are left alone.
 */
export async function resealAll(pool: pg.Pool, box: SecretBox): Promise<ResealReport> {
  let workspaces = 0;
  for (const id of await listEnvToReseal(pool, box.keyId)) {
    const did = await withTransaction(pool, async (client) => {
      const row = await lockWorkspace(client, id);
      const stale = row && (Object.keys(row.env).length > 0 || (row.env_sealed !== null && box.keyIdOf(row.env_sealed) !== box.keyId));
      if (!stale) return false; // sealed meanwhile (a PATCH, or another migrator)
      await setWorkspaceEnv(client, id, { env: sealEnv(box, id, openWorkspaceEnv(box, row)) });
      return true;
    });
    if (did) workspaces++;
  }
  let requestHashes = 0;
  for (const { key, requestHash } of await listUnkeyedRequestHashes(pool)) {
    if (await replaceRequestHash(pool, key, requestHash, box.keyLegacyHash(requestHash))) requestHashes++;
  }
  return { workspaces, requestHashes };
}
