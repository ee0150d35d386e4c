// Apply migrations to DATABASE_URL and exit. Used by `npm start` and docker-compose.
import { ConnectionEnv, parseEnv } from '../config.ts';
import { makePool } from './pool.ts';
import { migrate } from './migrate.ts';

const env = parseEnv(ConnectionEnv.pick({ DATABASE_URL: true }), process.env);
const pool = makePool(env.DATABASE_URL);
try {
  const applied = await migrate(pool);
  console.log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'migrations: up to date');
} catch (err) {
  console.error(`migration failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await pool.end();
}
