import { describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { useStack } from './helpers/use-stack.ts';
import { startStack } from './helpers/stack.ts';

/** PATCH /v1/workspaces/:id: a JSON Merge Patch of env and name; a restart applies it to the container. */
describe('PATCH /v1/workspaces/:id', () => {
  const stack = useStack();
  const secret = () => `patch-secret-${randomBytes(10).toString('hex')}`;

  /** The container's env as Docker has it: `NAME=value` lines → a record. */
  async function containerEnv(id: string): Promise<Record<string, string>> {
    const info = await stack.docker.getContainer(`ws-${id.slice(0, 12)}`).inspect();
    return Object.fromEntries((info.Config.Env ?? []).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  }

  async function createOnline(env: Record<string, string>, name = 'patched') {
    const res = await stack.request('POST', '/v1/workspaces', { body: { name, runtime: 'busybox', env } });
    expect(res.status).toBe(202);
    const id: string = res.body.workspace.id;
    await stack.waitForStatus(id, 'online');
    await stack.waitForIdle(id);
    return id;
  }

  const patch = (id: string, body: unknown, contentType = 'application/merge-patch+json') =>
    stack.request('PATCH', `/v1/workspaces/${id}`, { raw: JSON.stringify(body), headers: { 'content-type': contentType } });

  it('sets and removes env, restarts, and the container runs with the new env', async () => {
    const [keep, old, next] = [secret(), secret(), secret()];
    const id = await createOnline({ KEEP: keep, OLD: old });
    expect(await containerEnv(id)).toMatchObject({ KEEP: keep, OLD: old });

    const res = await patch(id, { env: { NEW_ONE: next, OLD: null } });
    expect(res.status).toBe(202);
    expect(res.body.jobId).toEqual(expect.any(String));
    expect(res.body.workspace.envNames).toEqual(['KEEP', 'NEW_ONE']);
    expect(JSON.stringify(res.body)).not.toContain(next);
    const ws = await stack.waitForJob(id, res.body.jobId, 'online');
    expect(ws.envNames).toEqual(['KEEP', 'NEW_ONE']);

    // needs the worker to make the container anew when its spec (env included) changed
    const env = await containerEnv(id);
    expect(env.NEW_ONE).toBe(next);
    expect(env.KEEP).toBe(keep);
    expect(env).not.toHaveProperty('OLD');
    expect(env.RUNTIME_FLAVOUR).toBe('busybox'); // the runtime's own env stays

    // the event log names what changed, never a value
    const events = await stack.events(id);
    const note = events.find((e) => e.cause === 'api: patch');
    expect(note).toMatchObject({ jobId: res.body.jobId, message: 'env changed: set NEW_ONE; removed OLD' });
    expect(JSON.stringify(events)).not.toMatch(new RegExp(`${keep}|${old}|${next}`));
  });

  it('never answers a value: GET, the list and the patch answer show names only', async () => {
    const value = secret();
    const id = await createOnline({ SHOWN_NAME: value });
    const bodies = [
      await stack.request('GET', `/v1/workspaces/${id}`),
      await stack.request('GET', '/v1/workspaces?limit=500'),
      await stack.request('GET', `/v1/workspaces/${id}/events`),
      await patch(id, { env: { OTHER: secret() }, restart: false }),
    ];
    for (const res of bodies) {
      expect(res.status).toBeLessThan(300);
      expect(JSON.stringify(res.body)).not.toContain(value);
    }
    expect(bodies[0]!.body.envNames).toEqual(['SHOWN_NAME']);
    expect(bodies[0]!.body).not.toHaveProperty('env');
    expect(bodies[1]!.body.items.find((w: any) => w.id === id).envNames).toEqual(['SHOWN_NAME']);
  });

  it('follows merge-patch semantics: a rename, restart:false records without a job, env:null clears, plain JSON works too', async () => {
    const [a, b] = [secret(), secret()];
    const id = await createOnline({ A: a }, 'before');
    const generation = (await stack.request('GET', `/v1/workspaces/${id}`)).body.generation;

    // a rename alone queues no restart (restart defaults to true only when env is given)
    const renamed = await patch(id, { name: '  after  ' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ jobId: null, workspace: { name: 'after', envNames: ['A'], generation } });

    // restart:false: recorded, nothing queued, the running container untouched
    const recorded = await patch(id, { env: { B: b }, restart: false }, 'application/json');
    expect(recorded.status).toBe(200);
    expect(recorded.body.jobId).toBeNull();
    expect(recorded.body.workspace).toMatchObject({ envNames: ['A', 'B'], generation, status: 'online' });
    const { rows } = await stack.pool.query('select queued_job_id, running_job_id from workspaces where id = $1', [id]);
    expect(rows[0]).toEqual({ queued_job_id: null, running_job_id: null });
    expect(await containerEnv(id)).not.toHaveProperty('B');

    // the later restart applies every recorded change (and env null for a missing name is no change)
    const restarted = await patch(id, { env: { A: null, NEVER_SET: null }, name: 'last' });
    expect(restarted.status).toBe(202);
    expect(restarted.body.workspace).toMatchObject({ name: 'last', envNames: ['B'] });
    await stack.waitForJob(id, restarted.body.jobId, 'online');
    const env = await containerEnv(id);
    expect(env.B).toBe(b);
    expect(env).not.toHaveProperty('A');
    const notes = (await stack.events(id)).filter((e) => e.cause === 'api: patch').map((e) => e.message);
    expect(notes).toEqual(['name changed from "before" to "after"', 'env changed: set B', 'env changed: removed A; name changed from "after" to "last"']);

    // env: null removes every variable (RFC 7396: null deletes the member)
    const cleared = await patch(id, { env: null, restart: false });
    expect(cleared.status).toBe(200);
    expect(cleared.body.workspace.envNames).toEqual([]);
    const row = await stack.pool.query('select env_sealed, env_names from workspaces where id = $1', [id]);
    expect(row.rows[0]).toEqual({ env_sealed: null, env_names: [] });
  });

  it('merges its restart into the action already waiting, like any restart', async () => {
    const [one, two] = [secret(), secret()];
    const quiet = await startStack({ worker: false }); // nothing runs, so the provision stays waiting
    try {
      const created = await quiet.request('POST', '/v1/workspaces', { body: { name: 'busy', runtime: 'busybox' } });
      const id: string = created.body.workspace.id;
      const send = (body: unknown) => quiet.request('PATCH', `/v1/workspaces/${id}`, { body });
      const first = await send({ env: { ONE: one } });
      const second = await send({ env: { TWO: two } });
      expect([first.status, second.status]).toEqual([202, 202]);
      expect([first.body.jobId, second.body.jobId]).toEqual([created.body.jobId, created.body.jobId]);
      await quiet.startWorker();
      await quiet.waitForJob(id, created.body.jobId, 'online', 60_000);
      const info = await quiet.docker.getContainer(`ws-${id.slice(0, 12)}`).inspect();
      expect(info.Config.Env).toEqual(expect.arrayContaining([`ONE=${one}`, `TWO=${two}`]));
    } finally {
      await quiet.close();
    }
  });

  it('answers 404 for an unknown workspace, 409 for a removed one, 400 for bad input', async () => {
    expect((await patch(randomUUID(), { name: 'x' })).status).toBe(404);
    expect((await patch('not-a-uuid', { name: 'x' })).status).toBe(400);

    const id = await createOnline({ KEEP: 'kept' });
    const bad: unknown[] = [
      {}, // nothing to change
      { env: { 'BAD-NAME': 'x' } },
      { env: { '1ST': 'x' } },
      { env: { NUL: 'a\u0000b' } },
      { env: { LONG: 'x'.repeat(32_769) } },
      { env: { NUM: 1 } },
      { env: Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`V${i}`, 'x'])) },
      { name: '' },
      { name: null }, // the name cannot be removed
      { restart: 'yes', name: 'x' },
      { extra: 1, name: 'x' },
      [],
    ];
    for (const body of bad) {
      const res = await patch(id, body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
    // the limit holds for the env the patch leaves, not only for the patch: 199 more beside KEEP is fine, 200 is not
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`M${i}`, 'x']));
    const over = await patch(id, { env: many(200), restart: false });
    expect(over.status).toBe(400);
    expect(over.body.error.message).toContain('at most 200 env variables');
    expect((await patch(id, { env: many(199), restart: false })).status).toBe(200);
    // a body neither JSON nor merge-patch JSON, and a broken one
    expect((await stack.request('PATCH', `/v1/workspaces/${id}`, { raw: 'name=x', headers: { 'content-type': 'text/plain' } })).status).toBe(400);
    expect((await stack.request('PATCH', `/v1/workspaces/${id}`, { raw: '{"name":', headers: { 'content-type': 'application/merge-patch+json' } })).status).toBe(400);
    expect((await stack.request('PATCH', `/v1/workspaces/${id}`, { raw: '{"__proto__":{"x":1}}', headers: { 'content-type': 'application/merge-patch+json' } })).status).toBe(400);
    // without the token
    expect((await stack.request('PATCH', `/v1/workspaces/${id}`, { body: { name: 'x' }, token: null })).status).toBe(401);

    const del = await stack.request('DELETE', `/v1/workspaces/${id}`);
    expect(del.status).toBe(202);
    const removed = await patch(id, { env: { LATE: 'x' } });
    expect(removed.status).toBe(409);
    expect(removed.body.error.code).toBe('CONFLICT');
    expect((await patch(id, { name: 'late', restart: false })).status).toBe(409);
  });

  it('is in /openapi.json with both media types and every status it sends', async () => {
    const spec = (await stack.request('GET', '/openapi.json')).body;
    const op = spec.paths['/v1/workspaces/{id}'].patch;
    expect(Object.keys(op.requestBody.content).sort()).toEqual(['application/json', 'application/merge-patch+json']);
    expect(Object.keys(op.responses).sort()).toEqual(['200', '202', '400', '401', '404', '409', '413', '429', '503']);
    expect(op.requestBody.content['application/json'].schema.properties.env).toBeDefined();
    expect(spec.components.schemas.Workspace.properties.envNames).toEqual({ type: 'array', items: { type: 'string' } });
  });
});
