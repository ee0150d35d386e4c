import { beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { useStack } from './helpers/use-stack.ts';

/** Every route of the contract (docs/CONTRACT: HTTP API), as OpenAPI paths. */
const CONTRACT_ROUTES = [
  'get /healthz',
  'get /readyz',
  'post /v1/workspaces',
  'get /v1/workspaces',
  'get /v1/workspaces/{id}',
  'post /v1/workspaces/{id}/restart',
  'post /v1/workspaces/{id}/stop',
  'delete /v1/workspaces/{id}',
  'get /v1/workspaces/{id}/events',
  'post /v1/events',
  'post /v1/restarts',
  'get /v1/dead-letters',
  'post /v1/dead-letters/{id}/replay',
  'get /metrics',
  'get /openapi.json',
  'get /docs',
  'get /admin/queues',
];

describe('GET /openapi.json and /docs', () => {
  const stack = useStack({ worker: false });
  let spec: any;
  beforeAll(async () => {
    const res = await stack.request('GET', '/openapi.json');
    expect(res.status).toBe(200);
    spec = res.body;
  });

  it('is a valid OpenAPI 3 document', async () => {
    expect(spec.openapi).toMatch(/^3\./);
    const result = await new Validator().validate(structuredClone(spec));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists every route of the contract, and nothing the contract does not name', async () => {
    const listed = Object.entries(spec.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        // a plugin's root page (/docs, /admin/queues) is listed with its trailing slash; both answer
        .map((m) => `${m} ${path.replace(/(.)\/$/, '$1')}`),
    );
    for (const route of CONTRACT_ROUTES) expect(listed, route).toContain(route);
    // the additions the README names: the operator page, the installation routes (issue 14), the hosts
    expect(listed.filter((r) => !CONTRACT_ROUTES.includes(r)).sort()).toEqual(
      [
        'get /admin/workspaces',
        'get /v1/installation',
        'post /v1/installation/adopt',
        // the fleet (issue 9)
        'get /v1/hosts',
        'get /v1/hosts/{name}',
        'post /v1/hosts/{name}/cordon',
        'post /v1/hosts/{name}/uncordon',
        'post /v1/hosts/{name}/drain',
        // env that can change (issue 10)
        'patch /v1/workspaces/{id}',
        // the watch stream, and the same for the admin pages' EventSource (issue 15)
        'get /v1/watch',
        'get /admin/watch',
      ].sort(),
    );
  });

  const operations = () =>
    Object.entries(spec.paths as Record<string, Record<string, any>>).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ key: `${method} ${path}`, method, op })));

  it('declares bearer auth on every route but the health probes, on the route itself', () => {
    expect(spec.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    expect(spec.security).toEqual([{ bearer: [] }]);
    expect(spec.paths['/healthz'].get.security).toEqual([]);
    expect(spec.paths['/readyz'].get.security).toEqual([]);
    for (const { key, op } of operations()) {
      if (key === 'get /healthz' || key === 'get /readyz') continue;
      expect(op.security, key).toEqual([{ bearer: [] }]);
    }
  });

  // what the document can tell of itself; test/openapi.responses.test.ts reaches each declared status for real
  it('declares the errors every route can answer: 401 and 429 behind the token, 400 for input, 413 for a body', () => {
    for (const { key, method, op } of operations()) {
      const statuses = Object.keys(op.responses);
      const open = op.security?.length === 0;
      expect(statuses.includes('401'), key).toBe(!open);
      expect(statuses.includes('429'), key).toBe(!open);
      expect(statuses.includes('413'), key).toBe(method !== 'get');
      if (method !== 'get' || op.parameters?.length) expect(statuses, key).toContain('400');
      expect(statuses.some((s) => s.startsWith('2')), key).toBe(true);
      for (const s of statuses.filter((s) => Number(s) >= 400)) {
        expect(op.responses[s].content['application/json'].schema, `${key} ${s}`).toEqual({ $ref: '#/components/schemas/Error' });
        expect(op.responses[s].description, `${key} ${s}`).not.toBe('Default Response');
      }
    }
  });

  it('carries the very constraints the API enforces (generated from the zod schemas, not a second copy)', async () => {
    const list = spec.paths['/v1/workspaces'].get.parameters as Array<{ name: string; schema: any }>;
    const limit = list.find((p) => p.name === 'limit')!.schema;
    expect([limit.minimum, limit.maximum, limit.default]).toEqual([1, 500, 50]);
    expect((await stack.request('GET', '/v1/workspaces?limit=501')).status).toBe(400);
    expect((await stack.request('GET', '/v1/workspaces?limit=500')).status).toBe(200);

    const body = spec.paths['/v1/workspaces'].post.requestBody.content['application/json'].schema;
    expect(body.properties.name.maxLength).toBe(100);
    expect(body.required).toEqual(expect.arrayContaining(['name', 'runtime']));
    expect(body.additionalProperties).toBe(false);
    expect((await stack.request('POST', '/v1/workspaces', { body: { name: 'x'.repeat(101), runtime: 'busybox' } })).status).toBe(400);
    expect((await stack.request('POST', '/v1/workspaces', { body: { name: 'x', runtime: 'busybox', extra: 1 } })).status).toBe(400);

    const restart = spec.paths['/v1/workspaces/{id}/restart'].post.requestBody.content['application/json'].schema;
    expect(restart.properties.reason.maxLength).toBe(500);
    const id = spec.paths['/v1/workspaces/{id}'].get.parameters.find((p: any) => p.name === 'id');
    expect(id.schema.format).toBe('uuid');
  });

  it('serves the interactive page at /docs, behind the token', async () => {
    const res = await fetch(`${stack.url}/docs`, { headers: { authorization: `Bearer ${stack.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toMatch(/swagger-ui/i);
    expect((await stack.request('GET', '/docs', { token: null })).status).toBe(401);
    expect((await stack.request('GET', '/openapi.json', { token: null })).status).toBe(401);
  });
});
