// `npm run bench`: Dockyard's costs side by side with a baseline measured in the same run.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setup, teardown } from '../test/global-setup.ts';
import { startStack, type Stack } from '../test/helpers/stack.ts';
import { removeLabelled } from '../test/helpers/docker.ts';
import { startHostEngines, stopHostEngines, type HostEngine } from '../test/helpers/engines.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { benchFailover, FAILOVER_HOSTS } from './failover.ts';
import { benchPlacement } from './placement.ts';
import { median, printHeader, row } from './report.ts';

process.env.DOCKYARD_TEST_RUN_ID ??= `bench${randomBytes(4).toString('hex')}`;
const N_PROVISION = Number(process.env.BENCH_PROVISIONS ?? 8);
const N_REQUESTS = Number(process.env.BENCH_REQUESTS ?? 400);
const N_PLACEMENTS = Number(process.env.BENCH_PLACEMENTS ?? 500);
const N_SEED = Number(process.env.BENCH_SEED_WORKSPACES ?? 10_000);
const N_FAILOVER_RUNS = Number(process.env.BENCH_FAILOVER_RUNS ?? 3);
const BENCHES = ['provision', 'requests', 'placement', 'failover'] as const;
const only = (process.env.BENCH_ONLY ?? BENCHES.join(',')).split(',').map((s) => s.trim());
const unknown = only.filter((b) => !(BENCHES as readonly string[]).includes(b));
if (unknown.length) throw new Error(`BENCH_ONLY: unknown ${unknown.join(', ')} (known: ${BENCHES.join(', ')})`);
const wanted = (b: (typeof BENCHES)[number]) => only.includes(b);

/** Provision through Dockyard (request recorded → online) vs the same Docker work done directly. */
async function benchProvision(stack: Stack) {
  const viaDockyard: number[] = [];
  for (let i = 0; i < N_PROVISION; i++) {
    const { workspace } = await stack.create('busybox', `bench-${i}`);
    await stack.waitForStatus(workspace.id, 'online', 60_000);
    // server-side times (row created → online event), so the client's polling adds nothing
    const online = (await stack.events(workspace.id)).find((e) => e.to === 'online');
    viaDockyard.push(Date.parse(online.at) - Date.parse(workspace.createdAt));
  }
  const direct: number[] = [];
  const image = process.env.DOCKYARD_TEST_IMAGE!;
  const labels = { 'dockyard.test-run': process.env.DOCKYARD_TEST_RUN_ID!, 'dockyard.bench': 'direct' };
  for (let i = 0; i < N_PROVISION; i++) {
    const t0 = performance.now();
    const name = `bench-direct-${randomBytes(4).toString('hex')}`;
    await stack.docker.createVolume({ Name: name, Labels: labels });
    const helper = await stack.docker.createContainer({ Image: image, Cmd: ['true'], Labels: labels, HostConfig: { Binds: [`${name}:/configs`], NetworkMode: 'none' } });
    await helper.remove({ force: true });
    const c = await stack.docker.createContainer({
      name,
      Image: image,
      Cmd: ['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"],
      Labels: labels,
      HostConfig: { Binds: [`${name}:/configs`], NetworkMode: 'none' },
    });
    await c.start();
    await waitFor('running', async () => (await c.inspect()).State.Running || undefined, { intervalMs: 20 });
    direct.push(performance.now() - t0);
  }
  await removeLabelled(stack.docker, 'dockyard.bench=direct');
  row(`provision, recorded → online (median of ${N_PROVISION})`, median(viaDockyard), median(direct), 'ms');
}

/** The auto-restart intake (a Postgres transaction per event) vs the cheapest authenticated route. */
async function benchRequests(stack: Stack) {
  const { workspace } = await stack.create('busybox', 'events-target');
  await stack.waitForStatus(workspace.id, 'online', 60_000);
  const rate = async (fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    for (let i = 0; i < N_REQUESTS; i += 20) await Promise.all(Array.from({ length: 20 }, fn));
    return N_REQUESTS / ((performance.now() - t0) / 1000);
  };
  const base = await rate(() => stack.request('GET', `/v1/workspaces/${workspace.id}`));
  const events = await rate(() => stack.request('POST', '/v1/events', { body: { type: 'liveness.lost', workspaceId: workspace.id } }));
  row(`POST /v1/events throughput (${N_REQUESTS}, 20 at once)`, events, base, 'req/s');
}

// The fleet's engines are detached dockerds: an interrupted run still stops them (each by its
// PID) and drops its databases; the worker and API processes share its process group's signal.
const engines: HostEngine[] = [];
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopHostEngines(engines).then(teardown).finally(() => process.exit(130)));
}

await setup();
try {
  printHeader();
  if (wanted('provision') || wanted('requests')) {
    const stack = await startStack({ env: { LOG_LEVEL: 'warn', CRASH_BACKOFF_BASE_MS: '60000' } });
    try {
      if (wanted('provision')) await benchProvision(stack);
      if (wanted('requests')) await benchRequests(stack);
    } finally {
      await stack.close();
    }
  }
  if (wanted('placement')) await benchPlacement({ creates: N_PLACEMENTS, seed: N_SEED });
  if (wanted('failover')) {
    engines.push(...(await startHostEngines(FAILOVER_HOSTS, 'bench')));
    await benchFailover(engines, 'bench', N_FAILOVER_RUNS);
  }
} finally {
  await stopHostEngines(engines);
  await teardown();
}
process.exit(0);
