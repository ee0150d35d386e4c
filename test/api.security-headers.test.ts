import { describe, expect, it } from 'vitest';
import { useStack } from './helpers/use-stack.ts';

/**
 * Security headers on every page and JSON answer (issue 12, finding 11): not sniffed, not
 * cached, never framed, no referrer, and a Content-Security-Policy that allows only this origin.
 */
describe('security headers', () => {
  const stack = useStack({ worker: false });
  const basic = () => ({ authorization: `Basic ${Buffer.from(`operator:${stack.token}`).toString('base64')}` });

  /** the workspaces pages carry forms: `same-origin`, so their posts name this origin for the CSRF check (never a referrer to another site) */
  const expectHardened = (headers: Headers, what: string, referrerPolicy = 'no-referrer') => {
    expect(headers.get('x-content-type-options'), what).toBe('nosniff');
    expect(headers.get('cache-control'), what).toBe('no-store');
    expect(headers.get('x-frame-options'), what).toBe('DENY');
    expect(headers.get('referrer-policy'), what).toBe(referrerPolicy);
    const csp = headers.get('content-security-policy') ?? '';
    expect(csp, what).toContain("frame-ancestors 'none'");
    expect(csp, what).toContain("default-src 'self'");
    expect(csp, what).toContain("script-src 'self'");
    // only this origin: no host, scheme or wildcard source besides data: images and fonts
    expect(csp.replace(/data:/g, ''), what).not.toMatch(/https?:|\*|\.[a-z]{2,}\b/);
  };

  it('sends them on JSON answers, refusals and errors', async () => {
    const ok = await stack.request('GET', '/v1/workspaces');
    expect(ok.status).toBe(200);
    expectHardened(ok.headers, 'GET /v1/workspaces');
    const refused = await stack.request('GET', '/v1/workspaces', { token: null });
    expect(refused.status).toBe(401);
    expectHardened(refused.headers, '401');
    const notFound = await stack.request('GET', '/v1/nowhere');
    expect(notFound.status).toBe(404);
    expectHardened(notFound.headers, '404');
    const queues = await stack.request('GET', '/admin/queues/api/queues');
    expect(queues.status).toBe(200);
    expectHardened(queues.headers, 'GET /admin/queues/api/queues');
  });

  it('sends them on the watch streams too (answers written past Fastify, as Server-Sent Events)', async () => {
    for (const [path, headers] of [
      ['/v1/watch', { authorization: `Bearer ${stack.token}` }],
      ['/admin/watch', basic()],
    ] as const) {
      const abort = new AbortController();
      const res = await fetch(`${stack.url}${path}`, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
      try {
        expect(res.status, path).toBe(200);
        expect(res.headers.get('content-type'), path).toMatch(/^text\/event-stream/);
        expectHardened(res.headers, path);
      } finally {
        abort.abort();
      }
    }
  });

  it('sends them on the admin pages, the queue UI and the API docs', async () => {
    for (const path of ['/admin/workspaces', '/admin/hosts', '/admin/queues', '/admin/queues/queue/dead-letter', '/docs/']) {
      const res = await stack.request('GET', path, { token: null, headers: basic() });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(/^text\/html/);
      expectHardened(res.headers, path, path === '/admin/workspaces' ? 'same-origin' : 'no-referrer');
    }
  });

  it('links nothing off-site from the queue UI, whose static files keep their own caching, still unframed and not sniffed', async () => {
    const page = await stack.request('GET', '/admin/queues', { token: null, headers: basic() });
    // nothing on the page points at another host (bull-board's own links a web-font stylesheet)
    expect(String(page.body)).not.toMatch(/(src|href)="(https?:)?\/\//);
    const script = /src="(static\/js\/main\.[^"]+\.js)"/.exec(String(page.body))?.[1];
    expect(script).toBeDefined();
    const res = await stack.request('GET', `/admin/queues/${script}`, { token: null, headers: basic() });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });
});
