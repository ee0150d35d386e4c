// Apply migrations to DATABASE_URL, then seal every workspace's env under SECRETS_KEY (values an
// older Dockyard kept in clear, and those sealed under SECRETS_KEY_PREVIOUS after a rotation), and
// exit. Used by `npm start` and docker-compose.
import { ConnectionEnv, SecretsEnv, parseEnv, toSecretKeys } from '../config.ts';
import { loadConfigOrExit } from '../process-lifecycle.ts';
import { makeSecretBox } from '../secrets.ts';
import { resealAll } from '../workspace-env.ts';
import { makePool } from './pool.ts';
import { migrate } from './migrate.ts';

const env = loadConfigOrExit('migrate', () => parseEnv(ConnectionEnv.pick({ DATABASE_URL: true }).extend(SecretsEnv.shape), process.env));
const box = makeSecretBox(toSecretKeys(env));
const pool = makePool(env.DATABASE_URL);
try {
  const applied = await migrate(pool);
  console.log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'migrations: up to date');
  const sealed = await resealAll(pool, box);
  console.log(`secrets: every workspace env sealed under key ${box.keyId} (${sealed.workspaces} sealed now, ${sealed.requestHashes} request hashes keyed)`);
} catch (err) {
  console.error(`migration failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await pool.end();
}
