// What `npm test` runs once its services are up: the whole suite; then, on a full run, the queue
// and action tests again with REDIS_URL pointing at a real 3-master Redis Cluster.
// Extra arguments (a subset of files, vitest flags) run that subset once, on the plain Redis.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnGroup, stopGroup, onShutdownSignals, killGroup } from './lib/children.mjs';
import { startRedisCluster } from './lib/redis-cluster.mjs';
import { say } from './lib/proc.mjs';

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The tests of queues, run slots and recorded actions: they must pass on a Redis Cluster too. */
export const CLUSTER_FILES = [
  'test/provision.test.ts',
  'test/one-job-per-workspace.test.ts',
  'test/stop-remove.test.ts',
  'test/api.idempotency.test.ts',
  'test/dead-letter.test.ts',
  'test/reconciler.test.ts',
  'test/restart.recovery.test.ts',
];

let current = null;
let cluster = null;
onShutdownSignals(
  async () => {
    if (current) await stopGroup(current, { label: 'vitest', graceMs: 10000 });
    if (cluster) await cluster.stop();
    process.exit(130);
  },
  () => {
    if (current) killGroup(current);
    process.exit(130);
  },
);

const vitest = async (args, env = {}) => {
  current = spawnGroup('pnpm', ['exec', 'vitest', 'run', ...args], { cwd: repoDir, env: { ...process.env, ...env } });
  const code = await current.exited;
  current = null;
  return code;
};

const extra = process.argv.slice(2);
// DOCKYARD_TEST_CLUSTER_ONLY=1 skips the first phase (to check the cluster phase alone)
const first = process.env.DOCKYARD_TEST_CLUSTER_ONLY === '1' ? 0 : await vitest(extra);
if (first !== 0 || (extra.length > 0 && process.env.DOCKYARD_TEST_CLUSTER_ONLY !== '1')) process.exit(first);

say('running the queue and action tests again on a 3-master Redis Cluster');
let code = 1;
try {
  cluster = await startRedisCluster(path.join(repoDir, '.dockyard', 'test', 'redis-cluster'));
  code = await vitest(CLUSTER_FILES, { REDIS_URL: cluster.url });
} catch (err) {
  console.error(`[dockyard] error: ${err.message}`);
} finally {
  if (cluster) await cluster.stop();
}
process.exit(code);
