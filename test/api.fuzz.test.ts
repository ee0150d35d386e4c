import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { useStack } from './helpers/use-stack.ts';
import { anyRequest, type FuzzAnswer, type FuzzRequest, type Pools, type Route } from './helpers/fuzz-requests.ts';
import { closeAgent, requestBytes, send } from './helpers/fuzz-send.ts';
import { bodies } from './helpers/fuzz-bodies.ts';
import { makeResponseChecker, type ResponseChecker } from './helpers/openapi-responses.ts';

/**
 * Fuzzing every route (issue 12, item 3): random bodies, path parameters, query strings and
 * headers. Whatever arrives, the API answers below 500, every 4xx in the contract's error shape
 * with a known code, within 1 s, and a small request never gets a large answer; every answer to a
 * documented operation is one /openapi.json declares (status, media type, body schema: issue 16).
 *
 * Bounded by default (a fixed seed, FUZZ_RUNS requests); DOCKYARD_FUZZ_RUNS raises it and
 * DOCKYARD_FUZZ_SEED picks another seed. A failure prints the seed and path to replay it:
 * `DOCKYARD_FUZZ_SEED=<seed> DOCKYARD_FUZZ_PATH=<path> npm test -- test/api.fuzz.test.ts`.
 */
const FUZZ_RUNS = Number(process.env.DOCKYARD_FUZZ_RUNS ?? 4_000);
const SEED = Number(process.env.DOCKYARD_FUZZ_SEED ?? 20_261_126);
const REPLAY_PATH = process.env.DOCKYARD_FUZZ_PATH;
const BIG_BODY_RUNS = Math.max(12, Math.round(FUZZ_RUNS / 100));

const STATUS_OF_CODE: Record<string, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
};
const MAX_MS = 1_000;
const SMALL_REQUEST = 4 * 1024;
const MAX_ANSWER_TO_SMALL_REQUEST = 64 * 1024;
/** a listing (up to 500 items), the metrics or the OpenAPI document: sized by what is stored */
const MAX_DATA_ANSWER = 1024 * 1024;

const params = (extra: Partial<fc.Parameters<[FuzzRequest]>> = {}): fc.Parameters<[FuzzRequest]> => ({
  seed: SEED,
  numRuns: FUZZ_RUNS,
  ...(REPLAY_PATH ? { path: REPLAY_PATH, endOnFailure: true } : {}),
  ...extra,
});

describe('every route, fuzzed: no 5xx, the contract error shape, fast and small answers', () => {
  const stack = useStack({ worker: false });
  const pools: Pools = { workspaceIds: [], disposableIds: [], hostNames: ['local'], runtimes: ['busybox'] };
  let routes: Route[] = [];
  const seen = new Map<string, number>(); // "<method> <template> <status>" → count
  let slowest = 0;
  let responses: ResponseChecker;
  let validated = 0; // answers checked against /openapi.json

  beforeAll(async () => {
    for (const name of ['fuzz-a', 'fuzz-b', 'fuzz-c', 'fuzz-d']) pools.workspaceIds.push((await stack.create('busybox', name)).workspace.id);
    for (const name of ['fuzz-gone-a', 'fuzz-gone-b']) pools.disposableIds.push((await stack.create('busybox', name)).workspace.id);
    responses = makeResponseChecker((await stack.request('GET', '/openapi.json')).body);
    const b = bodies(pools);
    routes = [
      { method: 'POST', path: '/v1/workspaces', body: b.create },
      { method: 'GET', path: '/v1/workspaces', query: ['status', 'runtime'], sizeFollowsData: true },
      { method: 'GET', path: '/v1/workspaces/:id' },
      { method: 'GET', path: '/v1/workspaces/:id/events', sizeFollowsData: true },
      { method: 'POST', path: '/v1/workspaces/:id/restart', body: b.restart },
      { method: 'PATCH', path: '/v1/workspaces/:id', body: b.patch },
      { method: 'POST', path: '/v1/workspaces/:id/stop' },
      { method: 'DELETE', path: '/v1/workspaces/:id', query: ['purge'], disposable: true },
      { method: 'POST', path: '/v1/events', body: b.event },
      { method: 'POST', path: '/v1/restarts', body: b.bulkRestart },
      { method: 'GET', path: '/v1/dead-letters', sizeFollowsData: true },
      { method: 'POST', path: '/v1/dead-letters/:id/replay' },
      { method: 'GET', path: '/v1/hosts' },
      { method: 'GET', path: '/v1/hosts/:name' },
      { method: 'POST', path: '/v1/hosts/:name/cordon' },
      { method: 'POST', path: '/v1/hosts/:name/uncordon' },
      { method: 'POST', path: '/v1/hosts/:name/drain' },
      { method: 'GET', path: '/v1/installation' },
      { method: 'POST', path: '/v1/installation/adopt', body: b.adopt },
      { method: 'GET', path: '/admin/workspaces', query: ['status', 'runtime', 'host'], sizeFollowsData: true },
      { method: 'GET', path: '/admin/workspaces/:id', html: true },
      { method: 'GET', path: '/admin/workspaces/:id/job', query: ['jobId'], html: true },
      { method: 'GET', path: '/admin/hosts' },
      { method: 'GET', path: '/metrics', sizeFollowsData: true },
      { method: 'GET', path: '/readyz', open: true },
      { method: 'GET', path: '/healthz', open: true },
      { method: 'GET', path: '/openapi.json', sizeFollowsData: true },
      { method: 'GET', path: '/docs/' },
      { method: 'GET', path: '/admin/queues/' },
      // streams: send() takes their answer as it stands once the headers arrive
      { method: 'GET', path: '/v1/watch', query: ['workspaceId', 'status', 'lastEventId'] },
      { method: 'GET', path: '/admin/watch', query: ['workspaceId', 'status', 'lastEventId'] },
      { method: 'GET', path: '/v1/no-such-route' },
      { method: 'DELETE', path: '/v1/workspaces' },
    ];
  });

  afterAll(() => {
    closeAgent();
    if (process.env.DOCKYARD_FUZZ_REPORT) console.log([...seen].sort().map(([k, n]) => `${k}: ${n}`).join('\n') + `\nslowest answer: ${Math.round(slowest)} ms`);
  });

  const matches = (r: Route, req: FuzzRequest) => new RegExp(`^${r.path.replace(/:(id|name)/g, '[^/?]*')}(\\?|$)`).test(req.path);
  /** the route a request was made for (its template), whatever method it was sent with */
  const routeOf = (req: FuzzRequest) => routes.find((r) => r.method === req.method && matches(r, req)) ?? routes.find((r) => matches(r, req));
  const templateOf = (req: FuzzRequest) => routeOf(req)?.path ?? req.path;

  /** The properties every answer must hold; throws with the request and the answer when one fails. */
  const check = (req: FuzzRequest, res: FuzzAnswer, opts: { htmlPage?: boolean; sizeFollowsData?: boolean } = {}) => {
    slowest = Math.max(slowest, res.ms);
    const key = `${req.method} ${templateOf(req)} ${res.status}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    const shown = () => `${req.method} ${req.path} ${JSON.stringify(req.headers)} body ${String(req.body).slice(0, 300)} → ${res.status} ${res.text.slice(0, 300)}`;
    if (res.status >= 500) throw new Error(`a 5xx: ${shown()}`);
    if (res.ms > MAX_MS) throw new Error(`answered in ${Math.round(res.ms)} ms: ${shown()}`);
    // a page of up to 500 items, the metrics or the OpenAPI document grow with what is stored, not with the request
    const cap = opts.sizeFollowsData ? MAX_DATA_ANSWER : MAX_ANSWER_TO_SMALL_REQUEST;
    if (requestBytes(req) < SMALL_REQUEST && res.bytes > cap) throw new Error(`${res.bytes} bytes for a small request: ${shown()}`);
    const undeclared = responses.violationsOf({ method: req.method, path: req.path, status: res.status, contentType: String(res.headers['content-type'] ?? ''), text: res.text });
    if (undeclared?.length) throw new Error(`not as /openapi.json declares (${undeclared.join('; ')}): ${shown()}`);
    if (undeclared) validated++;
    if (res.status < 400 || req.method === 'HEAD') return; // a HEAD answer has no body to check
    if (opts.htmlPage && res.status === 404 && String(res.headers['content-type']).startsWith('text/html')) return;
    let body: any;
    try {
      body = JSON.parse(res.text);
    } catch {
      throw new Error(`a ${res.status} that is not JSON: ${shown()}`);
    }
    const e = body?.error;
    const ok =
      String(res.headers['content-type']).startsWith('application/json') &&
      Object.keys(body).join() === 'error' &&
      typeof e === 'object' &&
      e !== null &&
      STATUS_OF_CODE[e.code] === res.status &&
      typeof e.message === 'string' &&
      e.message.length > 0 &&
      Object.keys(e).every((k) => ['code', 'message', 'details'].includes(k)) &&
      (e.details === undefined || Array.isArray(e.details));
    if (!ok) throw new Error(`not the contract's error shape: ${shown()}`);
  };

  it('fuzzes a table that covers every route of the OpenAPI document', async () => {
    const doc = (await stack.request('GET', '/openapi.json')).body;
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(documented.length).toBeGreaterThan(15);
    const fuzzed = new Set(routes.map((r) => `${r.method} ${r.path}`));
    expect(documented.filter((d) => !fuzzed.has(d))).toEqual([]);
  });

  it(`answers ${FUZZ_RUNS} random requests below 500, in the contract's shape, within 1 s and small`, async () => {
    await fc.assert(
      fc.asyncProperty(anyRequest(routes, pools, stack.token), async (req) => {
        const route = routeOf(req);
        check(req, await send(stack.url, req), { htmlPage: route?.html, sizeFollowsData: route?.sizeFollowsData });
      }),
      params(),
    );
    if (REPLAY_PATH) return; // one case replayed: no coverage to check
    expect(validated, 'answers checked against /openapi.json').toBeGreaterThan(FUZZ_RUNS / 2);
    // the fuzz reached past validation and auth on every route, and was refused on each too
    const statuses = (path: string) => [...seen.keys()].filter((k) => k.split(' ')[1] === path).map((k) => Number(k.split(' ')[2]));
    for (const r of routes) {
      const s = statuses(r.path);
      expect(s.length, `${r.method} ${r.path} never tried`).toBeGreaterThan(0);
      if (!r.open) expect(s, `${r.method} ${r.path} never refused a credential`).toContain(401);
    }
    for (const path of ['/v1/workspaces', '/v1/workspaces/:id/restart', '/v1/events', '/v1/restarts', '/v1/installation/adopt', '/admin/workspaces']) {
      expect(statuses(path).some((s) => s < 300), `${path} never accepted`).toBe(true);
      expect(statuses(path), `${path} never refused as invalid`).toContain(400);
    }
  }, 240_000);

  it('answers bodies near the 1 MiB limit (deep nesting, long strings, many keys) below 500 and within 1 s', async () => {
    const MiB = 1024 * 1024;
    const big = fc.oneof(
      fc.integer({ min: 10_000, max: 250_000 }).map((d) => `${'['.repeat(d)}${']'.repeat(d)}`),
      fc.integer({ min: 10_000, max: 100_000 }).map((d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`),
      fc.integer({ min: 0, max: 20 }).map((k) => JSON.stringify({ name: 'n', runtime: 'busybox', env: Object.fromEntries(Array.from({ length: 30_000 + k }, (_, i) => [`bad key ${i}`, 'v'])) })),
      fc.integer({ min: MiB - 100, max: MiB + 100 }).map((n) => JSON.stringify({ name: 'x'.repeat(n - 40), runtime: 'busybox' })),
      fc.integer({ min: 1, max: 10 }).map((k) => JSON.stringify({ reason: '\u0000'.repeat(150_000 - k) })),
      fc.integer({ min: 1, max: 10 }).map((k) => JSON.stringify({ ids: Array.from({ length: 20_000 + k }, (_, i) => `not-a-uuid-${i}`) })),
    );
    const posts = routes.filter((r) => r.method === 'POST');
    const arb = fc.tuple(fc.constantFrom(...posts), fc.constantFrom(...pools.workspaceIds), big).map(
      ([r, id, body]): FuzzRequest => ({ method: 'POST', path: r.path.replace(':id', id).replace(':name', 'local'), headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' }, body }),
    );
    await fc.assert(
      fc.asyncProperty(arb, async (req) => {
        const res = await send(stack.url, req);
        check(req, res);
        expect(res.bytes, `a ${res.bytes}-byte answer to ${req.method} ${req.path}`).toBeLessThan(MAX_ANSWER_TO_SMALL_REQUEST);
      }),
      { seed: SEED, numRuns: BIG_BODY_RUNS } as fc.Parameters<[FuzzRequest]>,
    );
  }, 120_000);

  // found by this fuzz (seed 11, path "13959:0:0:0:0"): the restart reason went into jsonb, which refuses it → 500
  it('refuses an unpaired surrogate in any stored text with 400 naming the field, and stores nothing', async () => {
    const { id } = (await stack.create('busybox', 'fuzz-surrogates')).workspace;
    const before = (await stack.pool.query('select count(*)::int as n from workspace_events')).rows[0].n;
    for (const [method, path, body, field] of [
      ['POST', `/v1/workspaces/${id}/restart`, { reason: '\ud800' }, 'reason'],
      ['POST', `/v1/workspaces/${id}/restart`, { reason: 'ok \udfff ok' }, 'reason'],
      ['POST', '/v1/workspaces', { name: 'a\ud83d', runtime: 'busybox' }, 'name'],
      ['POST', '/v1/workspaces', { name: 'a', runtime: 'busybox', env: { A: '\udc00' } }, 'env.A'],
      ['POST', '/v1/events', { type: 'container.died', workspaceId: id, detail: '\ud800x' }, 'detail'],
    ] as const) {
      const res = await stack.request(method, path, { body }); // JSON.stringify writes an unpaired surrogate as its \u escape
      expect(res.status, `${path} ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.details.map((d: any) => d.path)).toContain(field);
    }
    expect((await stack.pool.query('select count(*)::int as n from workspace_events')).rows[0].n).toBe(before);
    // a well-formed pair (an emoji) is still accepted
    expect((await stack.request('POST', `/v1/workspaces/${id}/restart`, { body: { reason: 'rocket 🚀' } })).status).toBe(202);
  });

  it('logged no unhandled error, and the API still answers', async () => {
    expect(stack.logLines.filter((l) => l.includes('unhandled error'))).toEqual([]);
    expect((await stack.request('GET', `/v1/workspaces/${pools.workspaceIds[0]}`)).status).toBe(200);
  });
});
