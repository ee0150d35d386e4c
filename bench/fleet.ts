// The fleet benchmarks, run only when BENCH_ONLY names them (`BENCH_ONLY=placement,failover npm
// run bench`): placement at create with a big table, and host failover on three engines. They use
// the test suite's stack (a database cloned from a migrated template, the test helpers).
import { randomBytes } from 'node:crypto';
import { setup, teardown } from '../test/global-setup.ts';
import { startHostEngines, stopHostEngines, type HostEngine } from '../test/helpers/engines.ts';
import { benchFailover, FAILOVER_HOSTS } from './failover.ts';
import { benchPlacement } from './placement.ts';
import { printHeader } from './report.ts';

process.env.DOCKYARD_TEST_RUN_ID ??= `bench${randomBytes(4).toString('hex')}`;
const N_PLACEMENTS = Number(process.env.BENCH_PLACEMENTS ?? 500);
const N_SEED = Number(process.env.BENCH_SEED_WORKSPACES ?? 10_000);
const N_FAILOVER_RUNS = Number(process.env.BENCH_FAILOVER_RUNS ?? 3);
const wanted = (process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim());

// The fleet's engines are detached dockerds: an interrupted run still stops them (each by its
// PID) and drops its databases; the worker and API processes share its process group's signal.
const engines: HostEngine[] = [];
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopHostEngines(engines).then(teardown).finally(() => process.exit(130)));
}

await setup();
try {
  printHeader();
  if (wanted.includes('placement')) await benchPlacement({ creates: N_PLACEMENTS, seed: N_SEED });
  if (wanted.includes('failover')) {
    engines.push(...(await startHostEngines(FAILOVER_HOSTS, 'bench')));
    await benchFailover(engines, 'bench', N_FAILOVER_RUNS);
  }
} finally {
  await stopHostEngines(engines);
  await teardown();
}
process.exit(0);
