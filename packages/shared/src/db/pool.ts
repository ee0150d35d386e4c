import pg from 'pg';
import type { Logger } from 'pino';

export type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;
export type Pool = pg.Pool;

/** Timestamps stay strings until mapped; bigint counts become numbers. */
pg.types.setTypeParser(20, (v: string) => Number(v));

export function makePool(connectionString: string, log?: Logger, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 5_000 });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', (err) => log?.warn({ err }, 'postgres idle client error'));
  return pool;
}

/**
 * Run fn in one transaction; roll back on any throw. The client is checked out for the whole
 * transaction, so it listens for its own connection's errors meanwhile: a server that goes away
 * between two statements (a Postgres restart terminating every session) emits 'error' on the
 * client, which would otherwise crash the process. Such a client is destroyed, never reused.
 */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (err: Error) => {
    lost ??= err;
  };
  client.on('error', onError);
  try {
    await client.query('begin');
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (err) {
    if (!lost) await client.query('rollback').catch((rollbackErr: Error) => (lost ??= rollbackErr));
    throw err;
  } finally {
    client.off('error', onError);
    client.release(lost);
  }
}
