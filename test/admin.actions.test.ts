import { beforeAll, describe, expect, it } from 'vitest';
import { useStack } from './helpers/use-stack.ts';

/** The admin pages' form posts: workspace actions and replay, each behind a CSRF token and an Origin check. */
describe('admin page actions and their CSRF protection', () => {
  const stack = useStack();
  let online: { id: string };
  const basic = () => `Basic ${Buffer.from(`operator:${stack.token}`).toString('base64')}`;

  async function getPage(path: string, cookie?: string) {
    const res = await fetch(stack.url + path, { headers: { authorization: basic(), ...(cookie ? { cookie } : {}) } });
    const text = await res.text();
    return { res, text, csrf: /name="csrf" value="([^"]+)"/.exec(text)?.[1] };
  }
  /** a form post as a browser sends it, with the Basic credentials it holds */
  function post(path: string, fields: Array<[string, string]>, headers: Record<string, string> = { origin: stack.url }) {
    return fetch(stack.url + path, {
      method: 'POST',
      redirect: 'manual',
      headers: { authorization: basic(), 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }
  const row = async (id: string) => (await stack.pool.query('select generation, status, queued_job_id, running_job_id from workspaces where id = $1', [id])).rows[0];
  const jobCount = async () => {
    const counts = await Promise.all(Object.values(stack.queues).map((q) => q.getJobCountByTypes('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized')));
    return counts.reduce((a, b) => a + b, 0);
  };

  beforeAll(async () => {
    const a = await stack.create('busybox', 'act-online');
    await stack.waitForStatus(a.workspace.id, 'online', 60_000);
    await stack.waitForIdle(a.workspace.id);
    online = { id: a.workspace.id };
  });

  it('refuses a cross-site post, one without or with a wrong token, and one with no origin: 403, nothing done', async () => {
    const { csrf, res } = await getPage('/admin/workspaces');
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
    expect(csrf).toMatch(/^\d+\.[A-Za-z0-9_-]{43}$/);
    const before = { row: await row(online.id), jobs: await jobCount(), events: (await stack.events(online.id)).length };
    const attempts: Array<[string, Array<[string, string]>, Record<string, string>]> = [
      ['another origin', [['csrf', csrf!], ['row', `restart:${online.id}`]], { origin: 'http://evil.example' }],
      ['origin null', [['csrf', csrf!], ['row', `restart:${online.id}`]], { origin: 'null' }],
      ['no token', [['row', `restart:${online.id}`]], { origin: stack.url }],
      ['a wrong token', [['csrf', `${csrf!.split('.')[0]}.${'A'.repeat(43)}`], ['row', `restart:${online.id}`]], { origin: stack.url }],
      ['an expired token', [['csrf', `1000.${csrf!.split('.')[1]}`], ['row', `restart:${online.id}`]], { origin: stack.url }],
      ['no Origin or Referer', [['csrf', csrf!], ['row', `restart:${online.id}`]], {}],
      ['a cross-site Referer', [['csrf', csrf!], ['row', `stop:${online.id}`]], { referer: 'http://evil.example/page' }],
    ];
    for (const [what, fields, headers] of attempts) {
      const res = await post('/admin/workspaces/actions', fields, headers);
      expect(res.status, what).toBe(403);
      expect(await res.json(), what).toMatchObject({ error: { code: 'FORBIDDEN', message: expect.any(String) } });
    }
    expect(await row(online.id)).toEqual(before.row);
    expect(await jobCount()).toBe(before.jobs);
    expect((await stack.events(online.id)).length).toBe(before.events);
  });

  it('restarts a row through the intent path, redirects back with a flash of what happened', async () => {
    const { csrf } = await getPage('/admin/workspaces');
    const before = await row(online.id);
    const res = await post('/admin/workspaces/actions', [['csrf', csrf!], ['back', '/admin/workspaces?q=act'], ['row', `restart:${online.id}`]]);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/workspaces?q=act');
    const jobId = `${online.id}.${before.generation + 1}`;
    expect((await row(online.id)).generation).toBe(before.generation + 1);
    await stack.waitForJob(online.id, jobId, 'online', 60_000);
    expect((await stack.events(online.id)).some((e) => e.cause === 'ui: restart')).toBe(true);

    const cookie = /dockyard_flash=[^;]*/.exec(res.headers.get('set-cookie') ?? '')?.[0];
    expect(cookie).toBeDefined();
    const shown = await getPage('/admin/workspaces?q=act', cookie);
    expect(shown.text).toContain(`restart of act-online requested (job ${jobId})`);
    expect(shown.res.headers.get('set-cookie')).toMatch(/dockyard_flash=;.*Max-Age=0/);
  });

  it('stops and starts a selection, and asks before deleting with purge', async () => {
    const b = await stack.create('busybox', 'act-second');
    await stack.waitForStatus(b.workspace.id, 'online', 60_000);
    await stack.waitForIdle(online.id);
    const ids = [online.id, b.workspace.id];
    const { csrf } = await getPage('/admin/workspaces');
    const sel = (action: string): Array<[string, string]> => [['csrf', csrf!], ['action', action], ...ids.map((id): [string, string] => ['ids', id])];
    expect((await post('/admin/workspaces/actions', sel('stop'))).status).toBe(303);
    for (const id of ids) await stack.waitForStatus(id, 'paused', 60_000);
    for (const id of ids) await stack.waitForIdle(id);
    expect((await post('/admin/workspaces/actions', sel('start'))).status).toBe(303);
    for (const id of ids) await stack.waitForStatus(id, 'online', 60_000);
    for (const id of ids) await stack.waitForIdle(id);

    // purge is confirmed first: the post answers a page, and nothing happens yet
    const asked = await post('/admin/workspaces/actions', [['csrf', csrf!], ['row', `purge:${b.workspace.id}`]]);
    expect(asked.status).toBe(200);
    const confirm = await asked.text();
    expect(confirm).toContain('cannot be recovered');
    expect(confirm).toContain('name="confirm" value="yes"');
    expect((await row(b.workspace.id)).status).toBe('online');
    const confirmCsrf = /name="csrf" value="([^"]+)"/.exec(confirm)![1]!;
    const done = await post('/admin/workspaces/actions', [['csrf', confirmCsrf], ['action', 'purge'], ['confirm', 'yes'], ['ids', b.workspace.id]]);
    expect(done.status).toBe(303);
    await stack.waitForStatus(b.workspace.id, 'removed', 60_000);
    expect((await stack.events(b.workspace.id)).some((e) => e.cause === 'ui: delete (purge)')).toBe(true);

    // removed workspaces are hidden unless asked for
    await stack.waitForIdle(b.workspace.id);
    expect((await getPage('/admin/workspaces')).text).not.toContain(`data-workspace-id="${b.workspace.id}"`);
    expect((await getPage('/admin/workspaces?removed=1')).text).toContain(`data-workspace-id="${b.workspace.id}"`);
    expect((await getPage('/admin/workspaces?status=removed')).text).toContain(`data-workspace-id="${b.workspace.id}"`);
  });

  it('searches by name, with % and _ matching themselves', async () => {
    await stack.create('busybox', 'find_me-1');
    await stack.create('busybox', 'findXme-2');
    await stack.create('busybox', '100%-sure');
    const names = async (q: string) => [...(await getPage(`/admin/workspaces?q=${encodeURIComponent(q)}`)).text.matchAll(/<a href="\/admin\/workspaces\/[^"]+">([^<]+)<\/a><br>/g)].map((m) => m[1]).sort();
    expect(await names('FIND')).toEqual(['findXme-2', 'find_me-1']);
    expect(await names('find_')).toEqual(['find_me-1']);
    expect(await names('%')).toEqual(['100%-sure']);
    expect(await names('zzz')).toEqual([]);
  });

  it('replays a dead letter from the workspace page', async () => {
    const { workspace } = await stack.create('notemplate', 'act-broken');
    await stack.waitForStatus(workspace.id, 'failed', 60_000);
    await stack.waitForIdle(workspace.id);
    const detail = await getPage(`/admin/workspaces/${workspace.id}`);
    const action = /action="(\/admin\/dead-letters\/[0-9a-f-]+\/replay)"/.exec(detail.text)?.[1];
    expect(action).toBeDefined();
    expect((await post(action!, [['back', `/admin/workspaces/${workspace.id}`]])).status).toBe(403);
    const res = await post(action!, [['csrf', detail.csrf!], ['back', `/admin/workspaces/${workspace.id}`]]);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/admin/workspaces/${workspace.id}`);
    // the letter replayed, by its id: the replayed job fails the same way at once and may add a newer letter
    const letterId = /\/admin\/dead-letters\/([0-9a-f-]+)\/replay/.exec(action!)![1];
    const letter = (await stack.request('GET', '/v1/dead-letters')).body.items.find((d: any) => d.id === letterId);
    expect(letter.replayJobId).toMatch(new RegExp(`^${workspace.id}\\.`));
    // a second replay is refused, as the API refuses it, and said so in the flash
    const again = await post(action!, [['csrf', detail.csrf!], ['back', `/admin/workspaces/${workspace.id}`]]);
    expect(again.status).toBe(303);
    expect(decodeURIComponent(again.headers.get('set-cookie') ?? '')).toContain('replay refused');
  });
});
