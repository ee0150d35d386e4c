import { beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { useStack } from './helpers/use-stack.ts';
import { waitFor } from './helpers/wait.ts';

describe('logs: pino JSON with job context, and never a token or an env value', () => {
  const stack = useStack();
  const envSecret = `env-secret-${randomBytes(12).toString('hex')}`;
  const wrongToken = `wrong-${randomBytes(20).toString('hex')}`;

  beforeAll(async () => {
    // a second worker as its own process (main.ts, the production logger), beside the in-process one
    stack.spawnWorker();
    await waitFor('the spawned worker to start', async () => stack.logLines.some((l) => l.includes('"worker started"') && l.includes('dockyard-worker')));
  });

  it('keeps the API token, Basic credentials and workspace env values out of every line of a provision/restart run', async () => {
    const created = await stack.request('POST', '/v1/workspaces', { body: { name: 'secretive', runtime: 'busybox', env: { PROBE_SECRET: envSecret } } });
    expect(created.status).toBe(202);
    const id: string = created.body.workspace.id;
    await stack.waitForStatus(id, 'online', 60_000);
    const restart = await stack.request('POST', `/v1/workspaces/${id}/restart`, { body: { applyTemplate: true, reason: 'log test' } });
    expect(restart.status).toBe(202);
    await stack.waitForJob(id, restart.body.jobId, 'online', 60_000);
    const failing = await stack.create('notemplate', 'fails');
    await stack.waitForStatus(failing.workspace.id, 'failed', 60_000);

    // every way a credential reaches the API: bearer, Basic (browser), a wrong one, none
    const basic = `Basic ${Buffer.from(`operator:${stack.token}`).toString('base64')}`;
    for (const path of ['/admin/queues', '/admin/workspaces', '/metrics', '/openapi.json']) {
      expect((await stack.request('GET', path, { token: null, headers: { authorization: basic } })).status).toBe(200);
    }
    expect((await stack.request('GET', '/v1/workspaces', { token: wrongToken })).status).toBe(401);

    const lines = stack.logLines;
    expect(lines.length).toBeGreaterThan(20);
    const needles = {
      token: stack.token,
      'basic credentials': basic.slice('Basic '.length),
      'workspace env value': envSecret,
      'wrong token': wrongToken,
    };
    for (const [what, needle] of Object.entries(needles)) {
      const leaks = lines.filter((l) => l.includes(needle));
      expect(leaks, `${what} leaked into the log`).toEqual([]);
      // a child process's output arrives in chunks: a line may be split, so search the joined text too
      expect(lines.join('').includes(needle), `${what} leaked into the log`).toBe(false);
    }
    // the run really was logged, API requests included
    expect(lines.some((l) => l.includes('"job completed"') && l.includes(id))).toBe(true);
    expect(lines.some((l) => l.includes('request completed') && l.includes('/admin/queues'))).toBe(true);
  });

  it('writes one JSON object per line, job lines carrying jobId, workspaceId, job and attempt', () => {
    const parsed = stack.logLines.flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return []; // a child's line split across two output chunks
      }
    });
    expect(parsed.length).toBeGreaterThan(stack.logLines.length * 0.9);
    const completed = parsed.filter((o) => o.msg === 'job completed');
    expect(completed.length).toBeGreaterThanOrEqual(2);
    for (const o of completed) {
      expect(o).toMatchObject({ jobId: expect.any(String), workspaceId: expect.any(String), job: expect.any(String), attempt: expect.any(Number) });
    }
    const deadLettered = parsed.find((o) => o.msg === 'job failed for good: dead-lettered');
    expect(deadLettered).toMatchObject({ step: 'seed', attempt: 1, permanent: true });
    // constant messages: the message text never embeds ids (data goes in fields)
    for (const o of parsed) expect(String(o.msg ?? ''), o.msg).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
  });
});
