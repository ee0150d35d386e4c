import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { makeRedisClient } from '@dockyard/shared';
import { startStack, type Stack } from './helpers/stack.ts';
import { deleteKeysUnder } from './helpers/redis-keys.ts';
import { waitFor } from './helpers/wait.ts';

const run = promisify(execFile);

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** A real 3-master Redis Cluster on loopback, from the system's redis-server and redis-cli. */
async function startRedisCluster() {
  const dir = mkdtempSync(join(tmpdir(), 'dockyard-cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const procs: ChildProcess[] = ports.map((port) => {
    const p = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--dir', dir, '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const reap = () => p.kill('SIGKILL'); // never outlive this test process
    process.once('exit', reap);
    p.once('exit', () => process.removeListener('exit', reap));
    return p;
  });
  const cli = (port: number, ...args: string[]) => run('redis-cli', ['-p', String(port), ...args], { timeout: 20_000 });
  for (const port of ports) await waitFor(`redis-server ${port}`, async () => (await cli(port, 'ping').catch(() => ({ stdout: '' }))).stdout.includes('PONG'));
  await cli(ports[0]!, '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes');
  for (const port of ports) {
    await waitFor(`cluster state ok on ${port}`, async () => (await cli(port, 'cluster', 'info')).stdout.includes('cluster_state:ok'), { timeoutMs: 20_000 });
  }
  return {
    url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
    async stop() {
      await Promise.all(
        procs.map(async (p) => {
          if (p.exitCode !== null || p.signalCode !== null) return;
          const exited = new Promise((resolve) => p.once('exit', resolve));
          p.kill('SIGTERM');
          await exited;
        }),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The queue and action paths with REDIS_URL pointing at a real Redis Cluster (hash-tagged keys). */
describe('on a 3-master Redis Cluster', () => {
  let cluster: Awaited<ReturnType<typeof startRedisCluster>>;
  let stack: Stack;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    stack = await startStack({ env: { REDIS_URL: cluster.url, WORKER_ROLES: 'jobs,watcher,reconciler', RECONCILE_INTERVAL_MS: '500' } });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    await cluster?.stop();
  }, 60_000);

  it('runs provision, restart, stop and delete, and answers readyz', async () => {
    expect((await stack.request('GET', '/readyz', { token: null })).body).toMatchObject({ status: 'ready', redis: 'ok' });
    const { workspace } = await stack.create('busybox', 'on-cluster');
    await stack.waitForStatus(workspace.id, 'online');
    const restart = await stack.request('POST', `/v1/workspaces/${workspace.id}/restart`, { body: { applyTemplate: true } });
    expect(restart.status).toBe(202);
    await stack.waitForJob(workspace.id, restart.body.jobId, 'online');
    const stop = await stack.request('POST', `/v1/workspaces/${workspace.id}/stop`);
    await stack.waitForJob(workspace.id, stop.body.jobId, 'paused');
    const del = await stack.request('DELETE', `/v1/workspaces/${workspace.id}?purge=true`);
    await stack.waitForJob(workspace.id, del.body.jobId, 'removed');
  });

  it('coalesces 20 concurrent restarts into at most two executions', async () => {
    const { workspace } = await stack.create('busybox', 'burst');
    await stack.waitForStatus(workspace.id, 'online');
    await stack.waitForIdle(workspace.id);
    const answers = await Promise.all(Array.from({ length: 20 }, () => stack.request('POST', `/v1/workspaces/${workspace.id}/restart`, { body: {} })));
    expect(answers.every((a) => a.status === 202)).toBe(true);
    expect(new Set(answers.map((a) => a.body.jobId)).size).toBeLessThanOrEqual(2);
    await stack.waitForStatus(workspace.id, 'online');
    await stack.waitForIdle(workspace.id);
    const restarts = (await stack.events(workspace.id)).filter((e) => e.to === 'online' && e.message?.startsWith('restarted'));
    expect(restarts.length).toBeGreaterThanOrEqual(1);
    expect(restarts.length).toBeLessThanOrEqual(2);
  });

  it('spreads the queues over the masters, each queue in one slot', async () => {
    const client = makeRedisClient(cluster.url) as Cluster;
    try {
      if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
      const masters = client.nodes('master');
      expect(masters).toHaveLength(3);
      const held = await Promise.all(masters.map((m) => m.keys(`${stack.env.QUEUE_PREFIX}:*`)));
      const byQueue = new Map<string, Set<number>>();
      held.forEach((keys, i) => {
        for (const k of keys) {
          const tag = /\{([^}]+)\}/.exec(k)?.[1];
          if (!tag) continue;
          byQueue.set(tag, (byQueue.get(tag) ?? new Set()).add(i));
        }
      });
      expect([...byQueue.keys()]).toEqual(expect.arrayContaining(['provision@local', 'restart@local']));
      for (const [queue, nodes] of byQueue) expect(nodes.size, queue).toBe(1); // one slot → one master
      expect(new Set([...byQueue.values()].flatMap((n) => [...n])).size).toBeGreaterThan(1); // and the queues spread
    } finally {
      client.disconnect();
    }
  });

  it('re-derives the work after the cluster lost every key of the installation', async () => {
    const { workspace } = await stack.create('busybox', 'drift');
    const ws = await stack.waitForStatus(workspace.id, 'online');
    await stack.waitForIdle(workspace.id);
    await deleteKeysUnder(cluster.url, stack.env.QUEUE_PREFIX!);
    await stack.docker.getContainer(ws.containerName).remove({ force: true });
    await waitFor('the workspace back online with a container', async () => {
      const info = await stack.docker.getContainer(ws.containerName).inspect().catch(() => undefined);
      const now = (await stack.request('GET', `/v1/workspaces/${workspace.id}`)).body;
      return (info?.State.Running && now.status === 'online' && now.generation > ws.generation) || undefined;
    }, { timeoutMs: 30_000 });
    const metrics = await stack.request('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('dockyard_job_outcomes_total');
  });
});
