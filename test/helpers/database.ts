import pg from 'pg';
import { databaseUrl, templateDbName, type TestEnv } from './env.ts';

/**
 * A private database cloned from the run's migrated template (CREATE DATABASE … TEMPLATE).
 * A clone would share the template's installation id; each is made an installation of its own.
 */
export async function cloneTemplateDatabase(t: TestEnv, dbName: string): Promise<{ url: string; installationId: string }> {
  const admin = new pg.Client({ connectionString: t.adminDatabaseUrl });
  await admin.connect();
  await admin.query(`create database ${dbName} template ${templateDbName(t.runId)}`);
  await admin.end();
  const url = databaseUrl(t.adminDatabaseUrl, dbName);
  const fresh = new pg.Client({ connectionString: url });
  await fresh.connect();
  const { rows } = await fresh.query<{ id: string }>('update installation set id = gen_random_uuid() returning id::text');
  await fresh.end();
  return { url, installationId: rows[0]!.id };
}
