import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useStack } from './helpers/use-stack.ts';
import { burstWithFault, chaosWorkspaces, CHAOS_STACK_ENV, PRODUCTION_RECOVERY, spawnChaosWorkers } from './helpers/chaos.ts';
import { startDockerFaultProxy } from './helpers/docker-fault-proxy.ts';
import { testEnv } from './helpers/env.ts';

const N = chaosWorkspaces();
/** DOCKER_TIMEOUT_MS, the timeout of one Docker call (60 s by default): a step waits at most this long for the engine */
const DOCKER_TIMEOUT_MS = 10_000;
/** a hung call's answer comes this late: after the worker gave up on it */
const HANG_MS = DOCKER_TIMEOUT_MS + 5_000;

/**
 * Chaos under load (issue 12, scenario d): N workspaces, a burst of N restarts, and once they are
 * under way the Docker engine (through a fault-injecting proxy) fails each workspace's next two
 * calls with a 500 and, for two workspaces in three, hangs its next stop or start past the Docker
 * call timeout (the engine does it; the worker never hears back). At most three failed attempts a
 * job, within the production default of five. Prints the figures docs/RELIABILITY.md quotes.
 */
describe('chaos: Docker answering 500s and hanging during a burst of restarts', () => {
  let proxy: Awaited<ReturnType<typeof startDockerFaultProxy>>;
  const stack = useStack({ worker: false, env: { ...CHAOS_STACK_ENV, ...PRODUCTION_RECOVERY, DOCKER_TIMEOUT_MS: String(DOCKER_TIMEOUT_MS) } });
  beforeAll(async () => {
    proxy = await startDockerFaultProxy(testEnv().dockerHost);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it(`loses nothing, duplicates nothing and leaves nothing stuck (${N} workspaces)`, async () => {
    spawnChaosWorkers(stack, { DOCKER_HOST: proxy.url });
    const figures = await burstWithFault(stack, N, async (ids) => {
      ids.forEach((id, i) => {
        // the container, its volume helper and its config volume all carry ws-<id12>
        const own = `ws-${id.slice(0, 12)}`;
        if (i % 3 < 2) proxy.hangNext(1, new RegExp(`/containers/${own}/${i % 3 ? 'start' : 'stop'}`), { method: 'POST', ms: HANG_MS });
        proxy.failNext(2, new RegExp(`(/containers/|/volumes/|name=)${own}\\b`));
      });
    });
    const hung = proxy.injected.filter((f) => f.fault === 'hang').length;
    const failed = proxy.injected.filter((f) => f.fault === 'status').length;
    console.log(`[chaos] Docker 500s and hangs past DOCKER_TIMEOUT_MS during a burst: ${JSON.stringify({ ...figures, answered500: failed, hung, abandoned: proxy.abandoned })}`);
    // the faults were real: jobs met 500s, and workers gave up on hung calls (the engine had acted on them)
    expect(failed).toBeGreaterThan(0);
    expect(proxy.abandoned).toBeGreaterThan(0);
    expect(figures).toMatchObject({ accepted: N, executed: N, lost: 0, duplicates: 0, notRunning: 0, stuck: 0 });
  }, 600_000);
});
