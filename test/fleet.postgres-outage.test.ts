import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './helpers/stack.ts';
import { startTcpProxy } from './helpers/tcp-proxy.ts';
import { waitFor } from './helpers/wait.ts';

/**
 * Postgres gone for every host at once, longer than HOST_LOST_AFTER_MS: nobody can re-place
 * anything, so when it returns no host may be judged lost (every heartbeat looks old then).
 * Two hosts share the suite's engine here; each touches only the containers it made.
 */
describe('a Postgres outage seen by the whole fleet', () => {
  let stack: Stack;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  beforeAll(async () => {
    const pg = new URL(process.env.DATABASE_URL!);
    proxy = await startTcpProxy({ host: pg.hostname, port: Number(pg.port) });
    stack = await startStack({
      env: { HOST_HEARTBEAT_MS: '300', HOST_FENCE_AFTER_MS: '2500', HOST_LOST_AFTER_MS: '5000', RECONCILE_INTERVAL_MS: '500' },
      mapDatabaseUrl: (url) => Object.assign(new URL(url), { hostname: '127.0.0.1', port: String(proxy.port) }).toString(),
    });
    await stack.startWorker({ HOST_NAME: 'h2', WORKER_ROLES: 'jobs,watcher,reconciler' });
  }, 120_000);
  afterAll(async () => {
    proxy?.restore();
    await stack?.close();
    await proxy?.close();
  }, 60_000);

  it('marks no host lost, and the fenced workspaces come back on their own hosts', async () => {
    const made = await Promise.all(Array.from({ length: 4 }, (_, i) => stack.create('busybox', `ws-${i}`)));
    const placed = Object.fromEntries(made.map((m) => [m.workspace.id, m.workspace.host]));
    expect(new Set(Object.values(placed))).toEqual(new Set(['local', 'h2']));
    await Promise.all(made.map((m) => stack.waitForStatus(m.workspace.id, 'online')));

    let lostSeen = false;
    const watch = setInterval(() => {
      // the test's own pool goes straight to Postgres, past the cut
      void stack.pool.query(`select count(*)::int as n from hosts where state = 'lost'`).then((r) => (lostSeen ||= r.rows[0].n > 0));
    }, 100);
    try {
      proxy.cut();
      await new Promise((r) => setTimeout(r, 8_000)); // longer than HOST_LOST_AFTER_MS
      proxy.restore();
      await waitFor('every workspace online again', async () => {
        const all = await Promise.all(made.map((m) => stack.request('GET', `/v1/workspaces/${m.workspace.id}`)));
        return all.every((r) => r.status === 200 && r.body.status === 'online') ? all.map((r) => r.body) : undefined;
      }, { timeoutMs: 45_000, intervalMs: 250 });
      await new Promise((r) => setTimeout(r, 3_000)); // past the fleet watch's settling window
    } finally {
      clearInterval(watch);
    }
    expect(lostSeen).toBe(false);
    const hosts = (await stack.request('GET', '/v1/hosts')).body.items;
    expect(hosts.map((h: any) => [h.name, h.state])).toEqual([['h2', 'ready'], ['local', 'ready']]);
    for (const m of made) {
      const ws = (await stack.request('GET', `/v1/workspaces/${m.workspace.id}`)).body;
      expect(ws).toMatchObject({ status: 'online', host: placed[m.workspace.id] });
      const events = await stack.events(m.workspace.id);
      expect(events.some((e) => e.cause.startsWith('host lost'))).toBe(false);
      const running = await stack.docker.getContainer(ws.containerName).inspect();
      expect(running.State.Running).toBe(true);
      expect(running.Config.Labels['dockyard.host']).toBe(ws.host);
    }
  }, 120_000);
});
