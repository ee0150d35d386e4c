import pg from 'pg';
import { databaseUrl, templateDbName, type TestEnv } from './env.ts';

/**
 * A private database cloned from the run's migrated template (CREATE DATABASE … TEMPLATE).
 * A clone would share the template's installation id; each is made an installation of its own.
 * With `localHost`, the host `local` is known (capacity 100, never seen) as on a single-host install.
 */
export async function cloneTemplateDatabase(t: TestEnv, dbName: string, opts: { localHost: boolean }): Promise<{ url: string; installationId: string }> {
  const admin = new pg.Client({ connectionString: t.adminDatabaseUrl });
  await admin.connect();
  await admin.query(`create database ${dbName} template ${templateDbName(t.runId)}`);
  await admin.end();
  const url = databaseUrl(t.adminDatabaseUrl, dbName);
  const fresh = new pg.Client({ connectionString: url });
  await fresh.connect();
  const { rows } = await fresh.query<{ id: string }>('update installation set id = gen_random_uuid() returning id::text');
  // host `local` as an install that ran before has it, so a create is placed even before a worker starts
  if (opts.localHost) await fresh.query(`insert into hosts (name, capacity) values ('local', 100)`);
  await fresh.end();
  return { url, installationId: rows[0]!.id };
}
