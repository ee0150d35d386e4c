import { beforeAll, describe, expect, it } from 'vitest';
import { useStack } from './helpers/use-stack.ts';
import { waitFor } from './helpers/wait.ts';

const PROVISION = encodeURIComponent('provision@local');
const RESTART = encodeURIComponent('restart@local');

/**
 * The queue UI (bull-board) is no way around the intent log (issue 12, findings 3, 4 and the queue
 * UI's part of 6): lifecycle queues offer inspection, pause/resume, promote and the clean of
 * finished jobs; nothing that puts a job into a queue or changes one; the dead-letter queue is
 * read-only; and every error under /admin/queues/api is in the contract's shape.
 */
describe('queue UI actions', () => {
  const stack = useStack();
  let online: { id: string; jobId: string };
  let failed: { id: string; jobId: string };

  const api = (method: string, path: string, opts: Parameters<typeof stack.request>[2] = {}) =>
    stack.request(method, `/admin/queues/api/queues${path}`, opts);

  /** The contract's error shape, exactly: `{ error: { code, message } }`. */
  const expectContractError = (res: { status: number; body: any }, status: number, code: string) => {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(Object.keys(res.body)).toEqual(['error']);
    expect(Object.keys(res.body.error).sort()).toEqual(['code', 'message']);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.message).toEqual(expect.any(String));
  };
  const counts = async () => ({ provision: await stack.queues.provision.getJobCounts(), restart: await stack.queues.restart.getJobCounts() });

  beforeAll(async () => {
    const a = await stack.create('busybox', 'ui-actions-online');
    const b = await stack.create('notemplate', 'ui-actions-failed');
    await stack.waitForStatus(a.workspace.id, 'online', 60_000);
    await stack.waitForStatus(b.workspace.id, 'failed', 60_000);
    await stack.waitForIdle(a.workspace.id);
    online = { id: a.workspace.id, jobId: a.jobId };
    failed = { id: b.workspace.id, jobId: b.jobId };
  }, 120_000);

  it('refuses add on every queue before reading the body, and enqueues nothing', async () => {
    const before = await counts();
    const junk = { name: 'provision', data: { workspaceId: online.id, generation: 99 } };
    expectContractError(await api('POST', `/${PROVISION}/add`, { body: junk }), 409, 'CONFLICT');
    expectContractError(await api('POST', `/${RESTART}/add`, { body: { ...junk, name: 'restart' } }), 409, 'CONFLICT');
    // an unparsable options string, on the read-only dead-letter queue too: refused, the parser never runs
    for (const queue of ['dead-letter', PROVISION]) {
      const res = await api('POST', `/${queue}/add`, { body: { name: 'x', data: 0, options: '\u0000' } });
      expectContractError(res, 409, 'CONFLICT');
      expect(res.body.error.message).not.toMatch(/JSON|Unexpected|position/);
      expectContractError(await api('POST', `/${queue}/add`, { raw: '{"name":', headers: { 'content-type': 'application/json' } }), 409, 'CONFLICT');
    }
    expect(await counts()).toEqual(before);
  });

  it('refuses retry, data and timing changes, empty and obliterate on lifecycle queues; the jobs stay as they were', async () => {
    const job = `/${PROVISION}/${encodeURIComponent(online.jobId)}`;
    const refused: Array<[string, string, unknown?]> = [
      ['PUT', `${job}/retry`],
      ['PUT', `/${PROVISION}/${encodeURIComponent(failed.jobId)}/retry`],
      ['PUT', `/${PROVISION}/retry/failed`],
      ['PUT', `/${PROVISION}/retry/completed`],
      ['PATCH', `${job}/update-data`, { jobData: { workspaceId: failed.id, generation: 1 } }],
      ['PATCH', `${job}/priority`, { priority: 1 }],
      ['PATCH', `${job}/delay`, { runAt: Date.now() + 60_000 }],
      ['PUT', `/${PROVISION}/empty`],
      ['PUT', `/${PROVISION}/obliterate`, { force: true }],
      ['PUT', `/${PROVISION}/concurrency`, { concurrency: 1 }],
      ['PUT', `/${PROVISION}/rate-limit`, { max: 1, duration: 1000 }],
      ['PUT', `/${PROVISION}/job-schedulers/any/run`],
    ];
    for (const [method, path, body] of refused) {
      const res = await api(method, path, body === undefined ? {} : { body });
      expectContractError(res, 409, 'CONFLICT');
    }
    const completed = await stack.queues.provision.getJob(online.jobId);
    expect(await completed!.getState()).toBe('completed');
    expect(completed!.data).toMatchObject({ workspaceId: online.id, generation: 1 });
    expect(await (await stack.queues.provision.getJob(failed.jobId))!.getState()).toBe('failed');
    expect((await stack.request('GET', `/v1/workspaces/${failed.id}`)).body.status).toBe('failed');
  });

  it('makes the dead-letter queue read-only', async () => {
    const letter = (await stack.request('GET', '/v1/dead-letters')).body.items.find((d: any) => d.workspaceId === failed.id);
    for (const [method, path] of [
      ['PUT', '/dead-letter/clean/completed'],
      ['PUT', '/dead-letter/retry/failed'],
      ['PUT', '/dead-letter/pause'],
      ['PUT', '/dead-letter/promote'],
      ['PUT', `/dead-letter/${letter.id}/retry`],
      ['PUT', `/dead-letter/${letter.id}/clean`],
    ] as const) {
      expectContractError(await api(method, path), 409, 'CONFLICT');
    }
    expect(await stack.queues.deadLetter.getJob(letter.id)).toBeDefined();
  });

  it('tells the UI which queues offer what', async () => {
    const list = await api('GET', '');
    const byName = Object.fromEntries(list.body.queues.map((q: any) => [q.name, q]));
    expect(byName['dead-letter']).toMatchObject({ readOnlyMode: true, allowRetries: false });
    expect(byName['provision@local']).toMatchObject({ readOnlyMode: false, allowRetries: false, allowCompletedRetries: false });
  });

  it('allows pause and resume, and the clean of finished jobs only; a paused request runs on resume', async () => {
    expect((await api('PUT', `/${PROVISION}/pause`)).status).toBe(200);
    const waiting = await stack.create('busybox', 'ui-actions-paused');
    await waitFor('the provision job to wait', async () => (await stack.queues.provision.getJob(waiting.jobId)) ?? undefined);
    expectContractError(await api('PUT', `/${PROVISION}/${encodeURIComponent(waiting.jobId)}/clean`), 409, 'CONFLICT');
    expectContractError(await api('PUT', `/${PROVISION}/clean/wait`), 409, 'CONFLICT');
    expectContractError(await api('PUT', `/${PROVISION}/clean/delayed`), 409, 'CONFLICT');
    expect((await api('PUT', `/${PROVISION}/promote`)).status).toBe(200);
    expect((await api('PUT', `/${PROVISION}/resume`)).status).toBe(200);
    await stack.waitForStatus(waiting.workspace.id, 'online', 60_000);

    expect((await api('PUT', `/${PROVISION}/${encodeURIComponent(online.jobId)}/clean`)).status).toBe(204);
    expect(await stack.queues.provision.getJob(online.jobId)).toBeUndefined();
    expect((await api('PUT', `/${PROVISION}/clean/failed`)).status).toBe(200);
    expect((await api('PUT', `/${PROVISION}/clean/completed`)).status).toBe(200);
    // the event log and the dead letters stay in Postgres
    expect((await stack.events(online.id)).length).toBeGreaterThan(0);
    expect((await stack.request('GET', '/v1/dead-letters')).body.items.some((d: any) => d.workspaceId === failed.id)).toBe(true);
  });

  it("answers bull-board's own errors, and the app's, in the contract's shape", async () => {
    const unauthenticated = await api('GET', '', { token: null });
    expectContractError(unauthenticated, 401, 'UNAUTHORIZED');
    expect(unauthenticated.headers.get('www-authenticate')).toMatch(/^Basic /);
    expectContractError(await api('GET', `/${encodeURIComponent('nope@local')}/metrics`), 404, 'NOT_FOUND');
    expectContractError(await api('GET', `/${PROVISION}/no-such-job`), 404, 'NOT_FOUND');
    expectContractError(await stack.request('POST', '/admin/queues/api/no-such-route', { body: {} }), 404, 'NOT_FOUND');
    expectContractError(await api('GET', '?page=0'), 400, 'VALIDATION_FAILED');
    // bull-board joins its message keys with NUL: a NUL in the query string could break its answer (a 500)
    expectContractError(await api('GET', '?status=%00'), 400, 'VALIDATION_FAILED');
    expectContractError(await api('PUT', `/${PROVISION}/pause`, { raw: '<x/>', headers: { 'content-type': 'application/xml' } }), 400, 'VALIDATION_FAILED');
    const big = JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 10) });
    expectContractError(await api('PUT', `/${PROVISION}/pause`, { raw: big, headers: { 'content-type': 'application/json' } }), 413, 'PAYLOAD_TOO_LARGE');
    expect((await api('PUT', `/${PROVISION}/resume`)).status).toBe(200);
  });
});
