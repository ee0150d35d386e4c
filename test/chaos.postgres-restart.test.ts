import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { makePool } from '@dockyard/shared';
import { startStack, type Stack } from './helpers/stack.ts';
import { burstWithFault, chaosWorkspaces, CHAOS_STACK_ENV, PRODUCTION_RECOVERY, spawnChaosWorkers } from './helpers/chaos.ts';
import { privatePostgres } from './helpers/private-postgres.ts';
import { freePort } from './helpers/private-redis.ts';

const N = chaosWorkspaces();
/** how long Postgres stays down between its fast shutdown and its start */
const DOWN_MS = 3_000;

/**
 * Chaos under load (issue 12, scenario c): N workspaces, a burst of N restarts, and Postgres
 * restarted in the middle of it: a private cluster of this file's own, shut down (every session
 * terminated, new connections refused), down for 3 s, started again. Production retry, lease and
 * reconciler timings. Prints the figures docs/RELIABILITY.md quotes.
 */
describe('chaos: Postgres restarted during a burst of restarts', () => {
  let postgres: ReturnType<typeof privatePostgres>;
  let stack: Stack;
  /** the test's own view of the private database */
  let pool: pg.Pool;
  beforeAll(async () => {
    postgres = privatePostgres(await freePort());
    await postgres.create('dockyard');
    pool = makePool(postgres.url('dockyard'));
    stack = await startStack({ worker: false, mapDatabaseUrl: () => postgres.url('dockyard'), env: { ...CHAOS_STACK_ENV, ...PRODUCTION_RECOVERY } });
  }, 120_000);
  afterAll(async () => {
    try {
      if (postgres && !postgres.pid) await postgres.start().catch(() => undefined);
      await stack?.close();
      await pool?.end();
    } finally {
      await postgres?.remove();
    }
  }, 120_000);

  it(`loses nothing, duplicates nothing and leaves nothing stuck (${N} workspaces)`, async () => {
    const workers = spawnChaosWorkers(stack);
    const bootedAt = async () => (await pool.query<{ t: Date }>('select pg_postmaster_start_time() as t')).rows[0]!.t.getTime();
    const firstBoot = await bootedAt();
    let midRestart = 0;
    let downMs = 0;
    const figures = await burstWithFault({ ...stack, pool }, N, async () => {
      midRestart = (await pool.query(`select count(*)::int as n from workspaces where status = 'provisioning'`)).rows[0].n;
      const down = Date.now();
      await postgres.stop();
      await new Promise((r) => setTimeout(r, DOWN_MS));
      await postgres.start();
      downMs = Date.now() - down;
    });
    console.log(`[chaos] Postgres restarted during a burst: ${JSON.stringify({ ...figures, midRestart, downMs })}`);
    // the fault was real: a new postmaster, while restarts were under way, and the workers saw their sessions go
    expect(await bootedAt()).toBeGreaterThan(firstBoot);
    expect(midRestart).toBeGreaterThan(0);
    expect(stack.logLines.some((l) => /terminating connection|shutting down|starting up|ECONNREFUSED|Connection terminated/.test(l))).toBe(true);
    // no worker process died of it (an unheard connection error once crashed both, leaving every job where it was)
    expect(workers.map((w) => w.exitCode ?? w.signalCode)).toEqual([null, null]);
    expect(figures).toMatchObject({ accepted: N, executed: N, lost: 0, duplicates: 0, notRunning: 0, stuck: 0 });
  }, 600_000);
});
