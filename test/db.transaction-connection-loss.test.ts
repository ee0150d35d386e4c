import { describe, expect, it } from 'vitest';
import { makePool, withTransaction } from '@dockyard/shared';
import { testEnv } from './helpers/env.ts';

/**
 * A Postgres restart terminates every session, also one that sits inside a transaction between two
 * statements. Its client then emits 'error' while no statement runs to receive it; unheard, that
 * event crashed both worker processes of the Postgres-restart chaos test. The transaction must fail
 * like any other, and the dead client must never be handed out again.
 */
describe('a transaction whose connection the server terminates between two statements', () => {
  it('rejects, does not crash the process, and leaves the pool working', async () => {
    const t = testEnv();
    const pool = makePool(t.adminDatabaseUrl, undefined, 1);
    const admin = makePool(t.adminDatabaseUrl, undefined, 1);
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      let killed = 0;
      const attempt = withTransaction(pool, async (c) => {
        const pid = (await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
        killed = pid;
        await admin.query('select pg_terminate_backend($1)', [pid]);
        // the server's FATAL and the socket's end arrive while this client runs no statement
        await new Promise((r) => setTimeout(r, 300));
        await c.query('select 1');
      });
      await expect(attempt).rejects.toThrow(/terminat|Connection/i);
      expect(killed).toBeGreaterThan(0);
      expect(uncaught).toEqual([]);
      // a pool of one: this query gets a new connection, not the dead one
      const { rows } = await pool.query<{ pid: number }>('select pg_backend_pid() as pid');
      expect(rows[0]!.pid).not.toBe(killed);
      expect(await withTransaction(pool, async (c) => (await c.query<{ one: number }>('select 1 as one')).rows[0]!.one)).toBe(1);
    } finally {
      process.off('uncaughtException', onUncaught);
      await Promise.all([pool.end(), admin.end()]);
    }
  });
});
