import { beforeAll, describe, expect, it } from 'vitest';
import { useStack } from './helpers/use-stack.ts';

const TOTAL = 10_000;
const rowIds = (html: string) => [...html.matchAll(/<tr data-workspace-id="([0-9a-f-]{36})">/g)].map((m) => m[1]!);
const nextLink = (html: string) => /<a rel="next" href="([^"]+)">/.exec(html)?.[1]?.replace(/&amp;/g, '&');

describe('GET /admin/workspaces: server-rendered, filtered, keyset-paged over 10,000 workspaces', () => {
  const stack = useStack({ worker: false });
  const get = async (path: string) => {
    const started = performance.now();
    const res = await stack.request('GET', path);
    return { ...res, ms: performance.now() - started };
  };

  beforeAll(async () => {
    await stack.pool.query(
      `insert into workspaces (id, name, runtime, status, desired_state, generation, last_error, restart_count, created_at, updated_at)
       select gen_random_uuid(), 'bulk-' || i, case when i % 2 = 0 then 'busybox' else 'solo' end,
              (array['provisioning','online','offline','failed','paused','removed'])[1 + i % 6]::workspace_status,
              'running', 1, case when i % 6 = 3 then 'boom ' || i end, i % 4,
              now() - i * interval '1 second', now()
         from generate_series(1, $1::int - 1) i`,
      [TOTAL],
    );
    await stack.pool.query(
      `insert into workspaces (id, name, runtime, status, generation, last_error)
       values ('00000000-0000-4000-8000-000000000001', '<script>alert(1)</script>', 'busybox', 'failed', 1, '"><img src=x onerror=alert(2)>')`,
    );
  }, 120_000);

  it('renders the first page quickly, with counts per status and a next-page link', async () => {
    const res = await get('/admin/workspaces');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(rowIds(res.body)).toHaveLength(50);
    expect(res.body).toMatch(/all: 10000/);
    expect(nextLink(res.body)).toMatch(/^\/admin\/workspaces\?cursor=/);
    expect(res.ms).toBeLessThan(1_000);
  });

  it('escapes every value it shows', async () => {
    const res = await get('/admin/workspaces?status=failed&limit=5');
    expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.body).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(res.body).not.toContain('<script>alert(1)');
    expect(res.body).not.toContain('<img src=x');
  });

  it('pages through all of them by following the next links, each page fast, no row twice', async () => {
    const seen = new Set<string>();
    // removed workspaces are hidden unless asked for; asked for, every page link keeps asking
    let path: string | undefined = '/admin/workspaces?limit=500&removed=1';
    let pages = 0;
    while (path) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.ms, path).toBeLessThan(1_500);
      for (const id of rowIds(res.body)) {
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
      path = nextLink(res.body);
      pages++;
    }
    expect(seen.size).toBe(TOTAL);
    expect(pages).toBe(TOTAL / 500);
  });

  it('filters by status and runtime, and keeps the filters on the next-page link', async () => {
    const res = await get('/admin/workspaces?status=offline&runtime=busybox&limit=100');
    const ids = rowIds(res.body);
    expect(ids).toHaveLength(100);
    const { rows } = await stack.pool.query('select status::text, runtime from workspaces where id = any($1::uuid[])', [ids]);
    expect(new Set(rows.map((r) => `${r.status}/${r.runtime}`))).toEqual(new Set(['offline/busybox']));
    expect(nextLink(res.body)).toMatch(/status=offline&runtime=busybox&limit=100&cursor=/);
    // "any" in the form arrives as an empty value
    expect(rowIds((await get('/admin/workspaces?status=&runtime=&limit=7')).body)).toHaveLength(7);
  });

  it('answers bad input with 400 and unknown workspaces with 404', async () => {
    expect((await get('/admin/workspaces?status=bogus')).status).toBe(400);
    expect((await get('/admin/workspaces?limit=0')).status).toBe(400);
    expect((await get('/admin/workspaces?cursor=nonsense')).status).toBe(400);
    expect((await get('/admin/workspaces/not-a-uuid')).status).toBe(400);
    expect((await get('/admin/workspaces/00000000-0000-4000-8000-00000000ffff')).status).toBe(404);
    const page = await get('/admin/workspaces/00000000-0000-4000-8000-000000000001');
    expect(page.status).toBe(200);
    expect(page.body).toContain('&lt;script&gt;');
    // no job of this workspace is in any queue
    const job = await get('/admin/workspaces/00000000-0000-4000-8000-000000000001/job');
    expect(job.status).toBe(404);
  });
});
