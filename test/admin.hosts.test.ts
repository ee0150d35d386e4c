import { beforeAll, describe, expect, it } from 'vitest';
import { useStack } from './helpers/use-stack.ts';

const ON_H2 = '00000000-0000-4000-8000-0000000000a1';
const REMOVED_ON_H2 = '00000000-0000-4000-8000-0000000000a2';
const ON_LOCAL = '00000000-0000-4000-8000-0000000000a3';
const UNPLACED = '00000000-0000-4000-8000-0000000000a4';

/** The markup of one host's row on the hosts page. */
const hostRow = (body: string, name: string) => new RegExp(`<tr id="host-${name}" data-host="${name}">([\\s\\S]*?)</tr>`).exec(body)?.[1];
const rowIds = (body: string) => [...body.matchAll(/<tr data-workspace-id="([0-9a-f-]{36})">/g)].map((m) => m[1]!);
const badge = (state: string, colour: string) => `<span class="status" style="background:${colour}">${state}</span>`;
const queueLink = (kind: string, host: string) => `href="/admin/queues/queue/${encodeURIComponent(`${kind}@${host}`)}"`;

describe('GET /admin/hosts, and the host column and filter of /admin/workspaces', () => {
  const stack = useStack({ worker: false });
  const get = (path: string) => stack.request('GET', path);

  beforeAll(async () => {
    // a live host with a worker of its own (it reports at once), next to `local` (registered, never seen)
    await stack.startWorker({ HOST_NAME: 'h2', HOST_CAPACITY: '7', HOST_LABELS: 'gpu=true,zone=eu-1', WORKER_ROLES: 'jobs' });
    await stack.pool.query(
      `insert into hosts (name, capacity, labels, state, last_heartbeat) values
         ('gone', 3, '{"note":"<b>x</b>"}', 'lost', now() - interval '3 hours'),
         ('quiet', 2, '{}', 'ready', now() - interval '1 hour')`,
    );
    await stack.pool.query(
      `insert into workspaces (id, name, runtime, status, desired_state, generation, host, step, created_at) values
         ($1, 'on-h2', 'busybox', 'paused', 'stopped', 1, 'h2', null, now() - interval '4 s'),
         ($2, 'removed-on-h2', 'busybox', 'removed', 'removed', 1, 'h2', null, now() - interval '3 s'),
         ($3, 'on-local', 'busybox', 'offline', 'running', 1, 'local', null, now() - interval '2 s'),
         ($4, 'unplaced', 'busybox', 'provisioning', 'running', 1, null, 'unscheduled', now() - interval '1 s')`,
      [ON_H2, REMOVED_ON_H2, ON_LOCAL, UNPLACED],
    );
    expect((await stack.request('POST', '/v1/hosts/local/cordon')).status).toBe(200);
  });

  it('needs the token', async () => {
    const res = await stack.request('GET', '/admin/hosts', { token: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
  });

  it('shows one row per registered host: state, capacity, used, heartbeat, labels', async () => {
    const res = await get('/admin/hosts');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect([...res.body.matchAll(/<tr id="host-[^"]+" data-host="([^"]+)">/g)].map((m) => m[1])).toEqual(['gone', 'h2', 'local', 'quiet']);

    const h2 = hostRow(res.body, 'h2')!;
    expect(h2).toContain(badge('ready', '#15803d'));
    expect(h2).toContain('<td class="capacity">7</td>');
    expect(h2).toContain('<td class="used">1</td>'); // the removed workspace does not count
    expect(h2).toMatch(/<span class="muted">\d+ s ago<\/span>/);
    expect(h2).toContain('<code>gpu=true</code>');
    expect(h2).toContain('<code>zone=eu-1</code>');

    const local = hostRow(res.body, 'local')!;
    expect(local).toContain(badge('cordoned', '#b45309'));
    expect(local).toContain('<td class="capacity">100</td>');
    expect(local).toContain('<td class="used">1</td>');
    expect(local).toContain('never reported');

    const gone = hostRow(res.body, 'gone')!;
    expect(gone).toContain(badge('lost', '#b91c1c'));
    expect(gone).toContain('<td class="used">0</td>');
    expect(gone).toMatch(/<span class="muted">3 h ago<\/span>/);
    expect(gone).toContain('<code>note=&lt;b&gt;x&lt;/b&gt;</code>');
    expect(res.body).not.toContain('<b>x</b>');

    // ready, but silent for longer than HOST_LOST_AFTER_MS: the fleet watch is about to mark it lost
    expect(hostRow(res.body, 'quiet')).toMatch(/<span class="err">(60|61) min ago \(silent\)<\/span>/);
    expect(res.body).toContain('4 hosts, 2 of 112 places used');
  });

  it("links each host to its workspaces and to its queues in the queue UI", async () => {
    const res = await get('/admin/hosts');
    const h2 = hostRow(res.body, 'h2')!;
    expect(h2).toContain('href="/admin/workspaces?host=h2"');
    for (const kind of ['provision', 'restart', 'stop', 'remove']) expect(h2, kind).toContain(queueLink(kind, 'h2'));
    const queuePage = await get(`/admin/queues/queue/${encodeURIComponent('provision@h2')}`);
    expect(queuePage.status).toBe(200);
    expect(rowIds((await get('/admin/workspaces?host=h2')).body)).toEqual([ON_H2]); // removed ones hidden unless asked for
    expect(rowIds((await get('/admin/workspaces?host=h2&removed=1')).body).sort()).toEqual([ON_H2, REMOVED_ON_H2].sort());
    // every admin page's header links to the hosts page
    expect((await get('/admin/workspaces')).body).toContain('<a href="/admin/hosts">Hosts</a>');
  });

  it('shows each workspace\'s host in the list and on its page, and filters the list by host', async () => {
    expect(rowIds((await get('/admin/workspaces')).body)).toEqual([UNPLACED, ON_LOCAL, ON_H2]); // removed ones hidden by default
    const all = await get('/admin/workspaces?removed=1');
    expect(rowIds(all.body)).toEqual([UNPLACED, ON_LOCAL, REMOVED_ON_H2, ON_H2]);
    const cell = (id: string) => new RegExp(`<tr data-workspace-id="${id}">[\\s\\S]*?</tr>`).exec(all.body)![0];
    expect(cell(ON_H2)).toContain('<td><a href="/admin/hosts#host-h2">h2</a></td>');
    expect(cell(ON_LOCAL)).toContain('<td><a href="/admin/hosts#host-local">local</a></td>');
    expect(cell(UNPLACED)).toContain('<td><span class="muted">none yet</span></td>');
    // the filter's select offers every registered host
    const select = /<select name="host">([\s\S]*?)<\/select>/.exec((await get('/admin/workspaces?host=local')).body)![1]!;
    expect([...select.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1])).toEqual(['', 'gone', 'h2', 'local', 'quiet']);
    expect(select).toContain('<option value="local" selected>local</option>');

    expect(rowIds((await get('/admin/workspaces?host=local')).body)).toEqual([ON_LOCAL]);
    expect(rowIds((await get('/admin/workspaces?host=gone')).body)).toEqual([]);
    const paged = await get('/admin/workspaces?host=h2&limit=1&removed=1');
    expect(rowIds(paged.body)).toEqual([REMOVED_ON_H2]);
    expect(paged.body).toMatch(/<a rel="next" href="\/admin\/workspaces\?host=h2&amp;removed=1&amp;limit=1&amp;cursor=[^"]+">/);
    // "any" in the form arrives as an empty value; a malformed host name is refused
    expect(rowIds((await get('/admin/workspaces?host=&removed=1')).body)).toHaveLength(4);
    expect((await get('/admin/workspaces?host=Not%20A%20Host')).status).toBe(400);

    const detail = await get(`/admin/workspaces/${ON_H2}`);
    expect(detail.body).toContain('<tr><th>host</th><td><a href="/admin/hosts#host-h2">h2</a></td></tr>');
  });
});
