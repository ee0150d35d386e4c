import { randomBytes } from 'node:crypto';

/** What `npm test` (scripts/test.mjs) hands the suite: real services and a per-run id. */
export interface TestEnv {
  adminDatabaseUrl: string;
  redisUrl: string;
  dockerHost: string;
  image: string;
  runId: string;
}

export function testEnv(): TestEnv {
  const need = ['DATABASE_URL', 'REDIS_URL', 'DOCKER_HOST', 'DOCKYARD_TEST_IMAGE', 'DOCKYARD_TEST_RUN_ID'];
  const missing = need.filter((k) => !process.env[k]);
  if (missing.length) {
    throw new Error(`missing ${missing.join(', ')}: run the suite with \`npm test\`, which starts the services it needs`);
  }
  return {
    adminDatabaseUrl: process.env.DATABASE_URL!,
    redisUrl: process.env.REDIS_URL!,
    dockerHost: process.env.DOCKER_HOST!,
    image: process.env.DOCKYARD_TEST_IMAGE!,
    runId: process.env.DOCKYARD_TEST_RUN_ID!,
  };
}

export const RUN_LABEL = 'dockyard.test-run';

/** A fresh SECRETS_KEY (32 random bytes, base64): each stack seals its workspaces' env with its own. */
export const newSecretsKey = () => randomBytes(32).toString('base64');
export const templateDbName = (runId: string) => `dockyard_tpl_${runId}`;

export function databaseUrl(adminUrl: string, db: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${db}`;
  return u.toString();
}

/** Short production-shaped timings so the suite runs fast. */
export const FAST_TIMING = {
  RETRY_ATTEMPTS: '3',
  RETRY_BASE_DELAY_MS: '200',
  PROVISION_TIMEOUT_MS: '15000',
  LEASE_MS: '3000',
  JOB_LOCK_MS: '3000',
  STALLED_INTERVAL_MS: '1500',
  STOP_TIMEOUT_S: '2',
  SHUTDOWN_TIMEOUT_MS: '5000',
  LEADER_TTL_MS: '1500',
  RATE_LIMIT_PER_MINUTE: '0', // the suite polls hard; test/api.rate-limit.test.ts sets its own
  AUTH_FAILURES_PER_MINUTE: '0', // many tests probe refusals from one IP; test/api.auth-failures.test.ts sets its own
  RECONCILE_INTERVAL_MS: '600000',
};
