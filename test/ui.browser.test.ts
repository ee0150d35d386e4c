import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { CHROMIUM, openBrowser } from './helpers/browser.ts';
import { REPO } from './helpers/stack.ts';
import { useStack } from './helpers/use-stack.ts';

const SHOTS = join(REPO, 'test-output', 'screenshots');
const DOCS_SHOTS = join(REPO, 'docs', 'screenshots');

describe.skipIf(!existsSync(CHROMIUM))('operator UI in a real browser (headless Chromium)', () => {
  const stack = useStack();
  let browser: Awaited<ReturnType<typeof openBrowser>>;
  let context: BrowserContext;
  let online: { id: string; name: string };
  let failed: { id: string; name: string };
  /** every URL the authenticated browser asked for, and what its Content-Security-Policy refused */
  const requested: string[] = [];
  const refusedByCsp: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const a = await stack.create('busybox', 'ui-online');
    const b = await stack.create('notemplate', 'ui-broken');
    await stack.waitForStatus(a.workspace.id, 'online', 60_000);
    await stack.waitForStatus(b.workspace.id, 'failed', 60_000);
    online = { id: a.workspace.id, name: 'ui-online' };
    failed = { id: b.workspace.id, name: 'ui-broken' };
    browser = await openBrowser({ username: 'operator', password: stack.token });
    context = browser.context;
    context.on('request', (r) => requested.push(r.url()));
    context.on('console', (m) => m.type() === 'error' && /Content Security Policy/.test(m.text()) && refusedByCsp.push(m.text()));
  });
  afterAll(async () => {
    await browser?.close(); // before the stack closes: after-hooks run in reverse
  });

  it('refuses page loads without credentials with 401 and a Basic challenge', async () => {
    const anonymous = await openBrowser();
    try {
      const page = await anonymous.context.newPage();
      for (const path of ['/admin/queues', '/admin/workspaces', `/admin/workspaces/${online.id}`, '/admin/queues/api/queues']) {
        // with nothing to answer the Basic challenge, Chromium gives up on the navigation after the 401
        const answered = page.waitForResponse((r) => r.url() === stack.url + path);
        const loaded = await page.goto(stack.url + path).catch((err: Error) => err);
        expect(String(loaded), path).toMatch(/ERR_INVALID_AUTH_CREDENTIALS/);
        const res = await answered;
        expect(res.status(), path).toBe(401);
        expect(res.headers()['www-authenticate'], path).toMatch(/^Basic realm="dockyard"/);
      }
    } finally {
      await anonymous.close();
    }
    const wrong = await fetch(`${stack.url}/admin/workspaces`, {
      headers: { authorization: `Basic ${Buffer.from('operator:not-the-token').toString('base64')}` },
    });
    expect(wrong.status).toBe(401);
  });

  it('shows every queue, and the provisioned job, in the queue UI after Basic-auth login', async () => {
    const page = await context.newPage();
    const res = await page.goto(`${stack.url}/admin/queues`);
    expect(res?.status()).toBe(200);
    for (const queue of ['provision@local', 'restart@local', 'stop@local', 'remove@local', 'dead-letter']) {
      await page.getByRole('link', { name: new RegExp(`^${queue}`) }).first().waitFor({ timeout: 15_000 });
    }
    await page.goto(`${stack.url}/admin/queues/queue/${encodeURIComponent('provision@local')}?status=completed`);
    await page.getByText(`${online.id}.1`).first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(SHOTS, 'queue-ui.png'), fullPage: true });

    await page.goto(`${stack.url}/admin/queues/queue/dead-letter`);
    await page.getByText(failed.id).first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(SHOTS, 'queue-ui-dead-letter.png'), fullPage: true });
    await page.close();
  });

  it('offers no add or retry on lifecycle queues and makes the dead-letter queue read-only', async () => {
    const put = (path: string) => context.request.put(`${stack.url}/admin/queues/api/queues/${path}`);
    expect((await put('dead-letter/clean/waiting')).status()).toBe(409);
    expect((await put('dead-letter/retry/failed')).status()).toBe(409);
    expect((await put(`${encodeURIComponent('provision@local')}/retry/failed`)).status()).toBe(409);
    expect((await put(`${encodeURIComponent('provision@local')}/clean/failed`)).status()).toBe(200);
    const add = await context.request.post(`${stack.url}/admin/queues/api/queues/${encodeURIComponent('provision@local')}/add`, { data: { name: 'x', data: {} } });
    expect(add.status()).toBe(409);
    expect(await add.json()).toMatchObject({ error: { code: 'CONFLICT' } });
    const queues = await (await context.request.get(`${stack.url}/admin/queues/api/queues`)).json();
    const byName = Object.fromEntries(queues.queues.map((q: any) => [q.name, q]));
    expect(byName['dead-letter'].readOnlyMode).toBe(true);
    expect(byName['provision@local'].readOnlyMode).toBe(false);
    expect(byName['provision@local'].allowRetries).toBe(false);
  });

  it('shows the workspaces page with status, step, errors and links to events and jobs', async () => {
    const page = await context.newPage();
    const res = await page.goto(`${stack.url}/admin/workspaces`);
    expect(res?.status()).toBe(200);
    const onlineRow = page.locator(`tr[data-workspace-id="${online.id}"]`);
    await expect(onlineRow.locator('.status').textContent()).resolves.toBe('online');
    const colour = await onlineRow.locator('.status').evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(colour).toBe('rgb(21, 128, 61)');
    const failedRow = page.locator(`tr[data-workspace-id="${failed.id}"]`);
    await expect(failedRow.locator('.err').textContent()).resolves.toContain('no template for runtime notemplate');
    await page.screenshot({ path: join(SHOTS, 'workspaces.png'), fullPage: true });

    // the status filter
    await page.selectOption('select[name=status]', 'failed');
    await Promise.all([page.waitForURL(/status=failed/), page.click('button[type=submit]')]);
    expect(await page.locator('tbody tr[data-workspace-id]').count()).toBe(1);
    expect(await page.locator(`tr[data-workspace-id="${failed.id}"]`).count()).toBe(1);

    // the row's events page
    await page.goto(`${stack.url}/admin/workspaces`);
    await onlineRow.getByRole('link', { name: 'events' }).click();
    await page.waitForURL(new RegExp(`/admin/workspaces/${online.id}$`));
    await page.getByText('provisioned from busybox-default').waitFor();
    await page.screenshot({ path: join(SHOTS, 'workspace-events.png'), fullPage: true });

    // the row's job, opened in the queue UI
    await page.goto(`${stack.url}/admin/workspaces`);
    await onlineRow.getByRole('link', { name: 'job' }).click();
    await page.waitForURL(new RegExp(`/admin/queues/queue/provision(@|%40)local/${online.id.replace(/-/g, '\\-')}\\.1$`));
    await page.getByText(`${online.id}.1`).first().waitFor({ timeout: 15_000 });
    await page.close();

    // the README's pictures are refreshed on request only, so a test run leaves the tree clean
    if (process.env.DOCKYARD_UPDATE_SCREENSHOTS === '1') {
      mkdirSync(DOCS_SHOTS, { recursive: true });
      copyFileSync(join(SHOTS, 'queue-ui.png'), join(DOCS_SHOTS, 'queue-ui.png'));
      copyFileSync(join(SHOTS, 'workspaces.png'), join(DOCS_SHOTS, 'workspaces.png'));
    }
  });

  it('renders the interactive API docs at /docs', async () => {
    const page = await context.newPage();
    const res = await page.goto(`${stack.url}/docs`);
    expect(res?.status()).toBe(200);
    await page.getByText('/v1/workspaces/{id}/restart').first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(SHOTS, 'docs.png'), fullPage: false });
    await page.close();
  });

  it('restarts a row from the workspaces page and shows the status change as it streams in, without reloading', async () => {
    const page = await context.newPage();
    await page.goto(`${stack.url}/admin/workspaces`);
    await page.getByText('live updates: on').waitFor({ timeout: 15_000 });
    const before = (await stack.request('GET', `/v1/workspaces/${online.id}`)).body;
    // every status the row's badge shows from here on; a reload would lose this window's state
    await page.evaluate((id) => {
      const w = window as unknown as { seen: string[] };
      w.seen = [];
      const cell = document.querySelector(`tr[data-workspace-id="${id}"] .status-cell`)!;
      new MutationObserver(() => w.seen.push(cell.querySelector('.status')!.textContent!)).observe(cell, { childList: true, subtree: true, characterData: true });
    }, online.id);
    const row = page.locator(`tr[data-workspace-id="${online.id}"]`);
    await row.getByRole('button', { name: 'restart', exact: true }).click();
    await page.locator('p.flash').filter({ hasText: `restart of ${online.name} requested (job ${online.id}.${before.generation + 1})` }).waitFor({ timeout: 15_000 });
    await page.waitForFunction(() => (window as unknown as { seen?: string[] }).seen?.at(-1) === 'online', undefined, { timeout: 60_000 });
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    expect(seen.filter((status, i) => status !== seen[i - 1])).toEqual(['provisioning', 'online']);
    await expect(row.locator('.status').textContent()).resolves.toBe('online');
    expect((await stack.request('GET', `/v1/workspaces/${online.id}`)).body.generation).toBe(before.generation + 1);
    await page.screenshot({ path: join(SHOTS, 'workspaces-actions.png'), fullPage: true });
    await page.close();
  });

  it('refuses a form post from another origin and one without the CSRF token: 403, no job', async () => {
    const before = (await stack.request('GET', `/v1/workspaces/${online.id}`)).body;
    // another site, opened in a browser logged in to Dockyard (its own context: the last test checks this one asks nothing elsewhere)
    const other = await openBrowser({ username: 'operator', password: stack.token });
    const evil = await other.context.newPage();
    await evil.route('http://evil.test/**', (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<form method="post" action="${stack.url}/admin/workspaces/actions"><input name="row" value="stop:${online.id}"><button>go</button></form>`,
      }),
    );
    await evil.goto('http://evil.test/attack');
    const [crossSite] = await Promise.all([evil.waitForResponse((r) => r.url() === `${stack.url}/admin/workspaces/actions` && r.status() !== 401), evil.click('button')]);
    expect(crossSite.status()).toBe(403);
    expect(await crossSite.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
    await other.close();
    const page = await context.newPage();
    // our own page, its form stripped of the token
    await page.goto(`${stack.url}/admin/workspaces`);
    await page.locator('#workspace-actions input[name="csrf"]').evaluate((el) => el.remove());
    await page.getByText('live updates: on').waitFor({ timeout: 15_000 });
    await page.locator(`tr[data-workspace-id="${online.id}"]`).getByRole('button', { name: 'stop', exact: true }).click();
    await page.locator('p.flash').filter({ hasText: 'refused (403)' }).waitFor({ timeout: 15_000 });
    const after = (await stack.request('GET', `/v1/workspaces/${online.id}`)).body;
    expect(after).toMatchObject({ status: 'online', generation: before.generation, desiredState: 'running' });
    await page.close();
  });

  it("tells a finished job's story in the queue UI: its steps as progress and one log line each", async () => {
    const ws = (await stack.request('GET', `/v1/workspaces/${online.id}`)).body;
    const jobId = `${online.id}.${ws.generation}`;
    const page = await context.newPage();
    await page.goto(`${stack.url}/admin/queues/queue/${encodeURIComponent('restart@local')}/${jobId}`);
    await page.getByText(jobId).first().waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Logs' }).or(page.getByRole('tab', { name: 'Logs' })).or(page.getByText('Logs', { exact: true })).first().click();
    await page.getByText(/\[3\/6\] recover: done in \d+ ms/).first().waitFor({ timeout: 15_000 });
    await page.getByText(/finished → online/).first().waitFor();
    await page.screenshot({ path: join(SHOTS, 'queue-ui-job-steps.png'), fullPage: true });
    await page.close();
    if (process.env.DOCKYARD_UPDATE_SCREENSHOTS === '1') {
      copyFileSync(join(SHOTS, 'queue-ui-job-steps.png'), join(DOCS_SHOTS, 'queue-ui-job-steps.png'));
      copyFileSync(join(SHOTS, 'workspaces-actions.png'), join(DOCS_SHOTS, 'workspaces-actions.png'));
    }
  });

  // runs last: it checks what the pages above asked for
  it('never asks a host other than the API for anything, and the pages need nothing their CSP refuses', async () => {
    const page = await context.newPage();
    await page.goto(`${stack.url}/admin/queues`);
    await page.getByRole('link', { name: /^provision@local/ }).first().waitFor({ timeout: 15_000 });
    await page.close();
    expect(requested.length).toBeGreaterThan(10);
    const elsewhere = requested.filter((u) => !u.startsWith(`${stack.url}/`) && !/^(data|blob):/.test(u));
    expect(elsewhere).toEqual([]);
    expect(refusedByCsp).toEqual([]);
  });
});
