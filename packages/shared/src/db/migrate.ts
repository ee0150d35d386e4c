import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type pg from 'pg';
import { withTransaction } from './pool.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
// Any constant works; it serialises concurrent migrators across processes.
const MIGRATION_LOCK = 727_001;

/**
 * Apply numbered .sql migrations in order, each in its own transaction, forward only.
 * Safe to run from several processes at once: an advisory lock serialises them.
 */
export async function migrate(pool: pg.Pool): Promise<string[]> {
  const files = readdirSync(MIGRATIONS_DIR).filter((f) => /^\d{3}_.+\.sql$/.test(f)).sort();
  const applied: string[] = [];
  for (const file of files) {
    const did = await withTransaction(pool, async (client) => {
      await client.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query(
        'create table if not exists schema_migrations (name text primary key, applied_at timestamptz not null default now())',
      );
      const { rowCount } = await client.query('select 1 from schema_migrations where name = $1', [file]);
      if (rowCount) return false;
      await client.query(readFileSync(join(MIGRATIONS_DIR, file), 'utf8'));
      await client.query('insert into schema_migrations (name) values ($1)', [file]);
      return true;
    });
    if (did) applied.push(file);
  }
  return applied;
}
