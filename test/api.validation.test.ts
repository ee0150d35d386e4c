import { describe, expect, it } from 'vitest';
import { useStack } from './helpers/use-stack.ts';

/** Every bad input gets the contract's error shape and the right 4xx, never a 500. */
describe('API input validation and auth', () => {
  const stack = useStack({ worker: false });

  const expectError = (res: { status: number; body: any }, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ error: { code, message: expect.any(String) } });
    expect(res.body.error.message.length).toBeGreaterThan(0);
  };

  it('answers health probes without a token', async () => {
    expect(await stack.request('GET', '/healthz', { token: null })).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect((await stack.request('GET', '/readyz', { token: null })).status).toBe(200);
  });

  it('rejects a missing token with 401', async () => {
    expectError(await stack.request('GET', '/v1/workspaces', { token: null }), 401, 'UNAUTHORIZED');
  });

  it('rejects a wrong token with 401', async () => {
    expectError(await stack.request('GET', '/v1/workspaces', { token: 'x'.repeat(48) }), 401, 'UNAUTHORIZED');
    expectError(await stack.request('GET', '/v1/workspaces', { headers: { authorization: 'Basic Zm9vOmJhcg==' } }), 401, 'UNAUTHORIZED');
  });

  it('rejects an unknown runtime, listing the known ones', async () => {
    const res = await stack.request('POST', '/v1/workspaces', { body: { name: 'a', runtime: 'nope' } });
    expectError(res, 400, 'VALIDATION_FAILED');
    expect(JSON.stringify(res.body.error.details)).toContain('unknown runtime');
    expect(JSON.stringify(res.body.error.details)).toContain('busybox');
  });

  it('rejects ../ in the runtime', async () => {
    const res = await stack.request('POST', '/v1/workspaces', { body: { name: 'a', runtime: '../busybox' } });
    expectError(res, 400, 'VALIDATION_FAILED');
    expect(res.body.error.details[0].path).toBe('runtime');
  });

  it('rejects a missing name', async () => {
    const res = await stack.request('POST', '/v1/workspaces', { body: { runtime: 'busybox' } });
    expectError(res, 400, 'VALIDATION_FAILED');
    expect(res.body.error.details[0].path).toBe('name');
  });

  it('rejects a 101-character name and accepts 100', async () => {
    expectError(await stack.request('POST', '/v1/workspaces', { body: { name: 'n'.repeat(101), runtime: 'busybox' } }), 400, 'VALIDATION_FAILED');
    expect((await stack.request('POST', '/v1/workspaces', { body: { name: 'n'.repeat(100), runtime: 'busybox' } })).status).toBe(202);
  });

  it('rejects unknown fields and bad env names', async () => {
    expectError(await stack.request('POST', '/v1/workspaces', { body: { name: 'a', runtime: 'busybox', extra: 1 } }), 400, 'VALIDATION_FAILED');
    expectError(await stack.request('POST', '/v1/workspaces', { body: { name: 'a', runtime: 'busybox', env: { 'A-B': 'x' } } }), 400, 'VALIDATION_FAILED');
  });

  it('rejects malformed JSON', async () => {
    const res = await stack.request('POST', '/v1/workspaces', { raw: '{"name": "a", ', headers: { 'content-type': 'application/json' } });
    expectError(res, 400, 'VALIDATION_FAILED');
  });

  it('rejects a body that is not JSON', async () => {
    const res = await stack.request('POST', '/v1/workspaces', { raw: 'name=a', headers: { 'content-type': 'text/plain' } });
    expectError(res, 400, 'VALIDATION_FAILED');
  });

  it('rejects a non-UUID id in every path', async () => {
    for (const [method, path] of [
      ['GET', '/v1/workspaces/123'],
      ['GET', '/v1/workspaces/not-a-uuid/events'],
      ['POST', '/v1/workspaces/zzz/restart'],
      ['POST', '/v1/workspaces/zzz/stop'],
      ['DELETE', '/v1/workspaces/zzz'],
    ] as const) {
      expectError(await stack.request(method, path, method === 'POST' ? { body: {} } : {}), 400, 'VALIDATION_FAILED');
    }
  });

  it('answers 404 for a well-formed id that does not exist, and for unknown routes', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    expectError(await stack.request('GET', `/v1/workspaces/${id}`), 404, 'NOT_FOUND');
    expectError(await stack.request('POST', `/v1/workspaces/${id}/restart`, { body: {} }), 404, 'NOT_FOUND');
    expectError(await stack.request('GET', '/v1/nothing-here'), 404, 'NOT_FOUND');
  });

  it('rejects a body over 1 MiB with 413', async () => {
    const res = await stack.request('POST', '/v1/workspaces', { body: { name: 'a', runtime: 'busybox', env: { BIG: 'x'.repeat(1_100_000) } } });
    expectError(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('validates list query parameters', async () => {
    expectError(await stack.request('GET', '/v1/workspaces?limit=0'), 400, 'VALIDATION_FAILED');
    expectError(await stack.request('GET', '/v1/workspaces?limit=501'), 400, 'VALIDATION_FAILED');
    expectError(await stack.request('GET', '/v1/workspaces?status=sleeping'), 400, 'VALIDATION_FAILED');
    expectError(await stack.request('GET', '/v1/workspaces?cursor=garbage'), 400, 'VALIDATION_FAILED');
  });

  it('rejects a restart reason over 500 characters', async () => {
    const { workspace } = await stack.create();
    expectError(await stack.request('POST', `/v1/workspaces/${workspace.id}/restart`, { body: { reason: 'r'.repeat(501) } }), 400, 'VALIDATION_FAILED');
    expectError(await stack.request('POST', `/v1/workspaces/${workspace.id}/restart`, { body: { applyTemplate: 'yes' } }), 400, 'VALIDATION_FAILED');
  });

  it('pages the list with a cursor and filters by runtime and status', async () => {
    for (let i = 0; i < 5; i++) await stack.create('solo', `page-${i}`);
    const first = await stack.request('GET', '/v1/workspaces?runtime=solo&limit=2');
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    const seen = new Set(first.body.items.map((w: any) => w.id));
    let cursor = first.body.nextCursor;
    while (cursor) {
      const next = await stack.request('GET', `/v1/workspaces?runtime=solo&limit=2&cursor=${cursor}`);
      for (const w of next.body.items) seen.add(w.id);
      cursor = next.body.nextCursor;
    }
    expect(seen.size).toBe(5);
    const none = await stack.request('GET', '/v1/workspaces?runtime=solo&status=paused');
    expect(none.body).toEqual({ items: [], nextCursor: null });
  });
});
