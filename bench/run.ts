// `npm run bench`: Dockyard's costs side by side with a baseline measured in the same run.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setup, teardown } from '../test/global-setup.ts';
import { startStack, type Stack } from '../test/helpers/stack.ts';
import { removeLabelled } from '../test/helpers/docker.ts';
import { waitFor } from '../test/helpers/wait.ts';

process.env.DOCKYARD_TEST_RUN_ID ??= `bench${randomBytes(4).toString('hex')}`;
const N_PROVISION = Number(process.env.BENCH_PROVISIONS ?? 8);
const N_REQUESTS = Number(process.env.BENCH_REQUESTS ?? 400);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const row = (name: string, value: number, baseline: number, unit: string) =>
  console.log(`${name.padEnd(44)} ${value.toFixed(1).padStart(9)} ${unit.padEnd(6)} baseline ${baseline.toFixed(1).padStart(9)} ${unit.padEnd(6)} ratio ${(value / baseline).toFixed(2)}`);

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

await setup();
const stack = await startStack({ env: { LOG_LEVEL: 'warn', CRASH_BACKOFF_BASE_MS: '60000' } });
try {
  console.log('benchmark                                        value         baseline (same run)        ratio');
  await benchProvision(stack);
  await benchRequests(stack);
} finally {
  await stack.close();
  await teardown();
}
process.exit(0);
