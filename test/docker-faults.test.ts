import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './helpers/stack.ts';
import { startDockerFaultProxy } from './helpers/docker-fault-proxy.ts';
import { testEnv } from './helpers/env.ts';

/** Transient Docker failures, injected for real by a proxy in front of the Docker socket. */
describe('retries with backoff on transient Docker errors', () => {
  let stack: Stack;
  let proxy: Awaited<ReturnType<typeof startDockerFaultProxy>>;
  beforeAll(async () => {
    proxy = await startDockerFaultProxy(testEnv().dockerHost);
    stack = await startStack({ worker: false, env: { RETRY_ATTEMPTS: '5', RETRY_BASE_DELAY_MS: '400' } });
    await stack.startWorker({ DOCKER_HOST: proxy.url });
  });
  afterAll(async () => {
    await stack?.close();
    await proxy?.close();
  });

  it('retries container creation that fails with 500s, with growing delays, and reaches online', async () => {
    proxy.failNext(4, /\/containers\/create\?name=ws-[0-9a-f-]{12}(&|$)/, { method: 'POST' });
    const { workspace, jobId } = await stack.create('busybox', 'flaky');
    const ws = await stack.waitForStatus(workspace.id, 'online');
    expect(ws.lastError).toBeNull();
    expect(proxy.injected).toHaveLength(4);
    const gaps = proxy.injected.slice(1).map((f, i) => f.at - proxy.injected[i]!.at);
    // exponential backoff, base 400 ms, up to 50 % jitter: ~200-400, ~400-800, ~800-1600 ms
    // (jitter lets neighbours touch; two doublings apart they cannot)
    expect(gaps[0]).toBeGreaterThanOrEqual(180);
    expect(gaps[1]).toBeGreaterThanOrEqual(380);
    expect(gaps[2]).toBeGreaterThanOrEqual(780);
    expect(gaps[2]!).toBeGreaterThan(gaps[0]! + 300);
    const job = await stack.queues.provision.getJob(jobId);
    expect(job!.data.attempts.map((a: any) => a.step)).toEqual(Array(4).fill('create-container'));
    expect(job!.data.attempts[0].error).toMatch(/Docker error 500/);
    // the retried job resumed at the step it reached: the volume was created and seeded once
    // (this is the first workspace this worker provisions, so every request below is its own)
    expect(proxy.forwarded.filter((r) => r.startsWith('POST /volumes/create'))).toHaveLength(1);
    expect(proxy.forwarded.filter((r) => r.startsWith('PUT /containers/') && r.includes('/archive'))).toHaveLength(2);
    const events = (await stack.request('GET', `/v1/workspaces/${workspace.id}/events`)).body.items;
    expect(events[0]).toMatchObject({ to: 'online', attempt: 5 });
  });

  it('dead-letters the job when Docker fails for longer than the attempts', async () => {
    proxy.clear();
    proxy.failNext(100, /\/containers\/create\?name=ws-[0-9a-f-]{12}(&|$)/, { method: 'POST' });
    const { workspace, jobId } = await stack.create('busybox', 'broken-docker');
    const ws = await stack.waitForStatus(workspace.id, 'failed', 30_000);
    expect(ws.lastError).toMatch(/Docker error 500.*\(after 5 attempts\)/);
    const letters = (await stack.request('GET', '/v1/dead-letters')).body.items;
    const letter = letters.find((d: any) => d.workspaceId === workspace.id);
    expect(letter).toMatchObject({ jobId, step: 'create-container' });
    expect(letter.attempts.map((a: any) => a.attempt)).toEqual([1, 2, 3, 4, 5]);
    proxy.clear();
  });
});
