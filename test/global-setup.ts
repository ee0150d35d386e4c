import pg from 'pg';
import { makePool, migrate } from '@dockyard/shared';
import { databaseUrl, templateDbName, testEnv } from './helpers/env.ts';

/** Once per run: a migrated template database every test file clones (CREATE DATABASE … TEMPLATE). */
export async function setup() {
  const env = testEnv();
  const tpl = templateDbName(env.runId);
  const admin = new pg.Client({ connectionString: env.adminDatabaseUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${tpl}`);
  await admin.query(`create database ${tpl}`);
  await admin.end();
  const pool = makePool(databaseUrl(env.adminDatabaseUrl, tpl));
  await migrate(pool);
  await pool.end();
}

/** Drop every database this run made. */
export async function teardown() {
  const env = testEnv();
  const admin = new pg.Client({ connectionString: env.adminDatabaseUrl });
  await admin.connect();
  const { rows } = await admin.query<{ datname: string }>(
    `select datname from pg_database where datname like $1 or datname = $2`,
    [`dockyard_t_${env.runId}_%`, templateDbName(env.runId)],
  );
  for (const { datname } of rows) await admin.query(`drop database if exists ${datname} with (force)`);
  await admin.end();
}
