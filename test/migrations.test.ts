import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { makePool, migrate } from '@dockyard/shared';
import { databaseUrl, testEnv } from './helpers/env.ts';

/** Migrations: numbered, forward-only, each in a transaction, safe from several processes at once. */
describe('migrations', () => {
  it('apply once when several migrators race on an empty database', async () => {
    const t = testEnv();
    const db = `dockyard_t_${t.runId}_migrate`;
    const admin = new pg.Client({ connectionString: t.adminDatabaseUrl });
    await admin.connect();
    await admin.query(`create database ${db}`);
    await admin.end();
    const pools = Array.from({ length: 4 }, () => makePool(databaseUrl(t.adminDatabaseUrl, db), undefined, 2));
    try {
      const results = await Promise.all(pools.map((p) => migrate(p)));
      const applied = results.flat();
      // every migration applied exactly once, by whichever migrator got there first
      expect(applied.sort()).toEqual([...new Set(applied)].sort());
      const { rows } = await pools[0]!.query<{ name: string }>('select name from schema_migrations order by name');
      expect(rows.map((r) => r.name)).toEqual(['001_init.sql', '002_crash_loop.sql', '003_installation.sql', '004_hosts.sql', '005_volume_imports.sql', '006_sealed_env.sql', '007_endpoint.sql', '008_watch.sql']);
      // one installation, whatever the race: its id is created once, by the migration
      const { rows: installations } = await pools[0]!.query('select id from installation');
      expect(installations).toHaveLength(1);
      expect(applied).toHaveLength(rows.length);
      // and again: nothing to do
      expect(await migrate(pools[0]!)).toEqual([]);
      const { rows: types } = await pools[0]!.query(`select enum_range(null::workspace_status)::text as r`);
      expect(types[0].r).toBe('{provisioning,online,offline,failed,paused,removed}');
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });
});
