import { randomUUID } from 'node:crypto';

/**
 * A scenario that reaches every status of every documented operation (test/openapi.responses.test.ts).
 * Each operation has a valid request (`call`: also sent without a token, past the auth-failure
 * limit and while Postgres is cut) and the cases to reach with everything up. Every operation
 * other than GET also gets a malformed body (400) and a body over 1 MiB (413), by the test.
 */

export interface Call {
  path: string;
  body?: unknown;
  /** sent as is, as application/json */
  raw?: string;
  headers?: Record<string, string>;
}

export type Case = [status: number, request: Call];

export interface OperationScenario {
  call: Call;
  cases: Case[];
}

export interface ScenarioFixtures {
  /** a workspace that exists */
  live: string;
  /** a removed workspace */
  removed: string;
  /** a dead letter not replayed yet */
  deadLetter: string;
  /** a ready host without workers (no fleet watch judges it while the test runs) */
  spareHost: string;
  /** a lost host */
  lostHost: string;
}

const BAD_ID = 'not-a-uuid';
const BAD_HOST = 'Not_A_Host';

const get = (path: string, more: Case[] = []): OperationScenario => ({ call: { path }, cases: [[200, { path }], ...more] });

/** Keyed like the document's operations: "<METHOD> <path template>". */
export function apiScenario(f: ScenarioFixtures): Record<string, OperationScenario> {
  const ws = (id: string, rest = '') => `/v1/workspaces/${id}${rest}`;
  const unknown = randomUUID();
  const create = { name: 'scenario', runtime: 'busybox' };
  const hostVerb = (verb: string): OperationScenario => ({
    call: { path: `/v1/hosts/${f.spareHost}/${verb}` },
    cases: [
      [200, { path: `/v1/hosts/${f.spareHost}/${verb}` }],
      [404, { path: `/v1/hosts/no-such-host/${verb}` }],
      [409, { path: `/v1/hosts/${f.lostHost}/${verb}` }],
      [400, { path: `/v1/hosts/${BAD_HOST}/${verb}` }],
    ],
  });
  const byId = (path: (id: string) => string, ok: number, body?: unknown, conflict = true): OperationScenario => ({
    call: { path: path(f.live), body },
    cases: [
      [ok, { path: path(f.live), body }],
      [404, { path: path(unknown), body }],
      ...(conflict ? ([[409, { path: path(f.removed), body }]] as Case[]) : []),
      [400, { path: path(BAD_ID), body }],
    ],
  });
  // a new env restarts the workspace (202); a new name alone does not (200)
  const patch = byId((id) => ws(id), 202, { env: { SCENARIO: '1' } });
  patch.cases.push([200, { path: ws(f.live), body: { name: 'renamed' } }]);

  return {
    'GET /healthz': get('/healthz'),
    'GET /readyz': get('/readyz'),
    'GET /openapi.json': get('/openapi.json'),
    'GET /docs/': get('/docs/'),
    'GET /admin/queues/': get('/admin/queues/'),
    'GET /metrics': get('/metrics'),
    'GET /admin/workspaces': get('/admin/workspaces', [[400, { path: '/admin/workspaces?limit=0' }]]),

    'POST /v1/workspaces': {
      call: { path: '/v1/workspaces', body: create },
      cases: [
        [202, { path: '/v1/workspaces', body: create, headers: { 'idempotency-key': 'scenario-key' } }],
        // the same key with another request
        [409, { path: '/v1/workspaces', body: { ...create, name: 'another' }, headers: { 'idempotency-key': 'scenario-key' } }],
        [400, { path: '/v1/workspaces', body: { ...create, runtime: 'no-such-runtime' } }],
      ],
    },
    'GET /v1/workspaces': get('/v1/workspaces', [[400, { path: '/v1/workspaces?limit=0' }]]),
    'GET /v1/workspaces/{id}': byId((id) => ws(id), 200, undefined, false),
    'GET /v1/workspaces/{id}/events': byId((id) => ws(id, '/events'), 200, undefined, false),
    'PATCH /v1/workspaces/{id}': patch,
    'POST /v1/workspaces/{id}/restart': byId((id) => ws(id, '/restart'), 202, { reason: 'scenario' }),
    'POST /v1/workspaces/{id}/stop': byId((id) => ws(id, '/stop'), 202),
    // deleting a removed workspace again is accepted (it never conflicts)
    'DELETE /v1/workspaces/{id}': {
      call: { path: ws(f.live) },
      cases: [
        [202, { path: ws(f.removed) }],
        [404, { path: ws(unknown) }],
        [400, { path: ws(BAD_ID) }],
      ],
    },

    'POST /v1/events': {
      call: { path: '/v1/events', body: { type: 'container.died', workspaceId: f.live } },
      cases: [
        [202, { path: '/v1/events', body: { type: 'container.died', workspaceId: f.live } }],
        [404, { path: '/v1/events', body: { type: 'container.died', workspaceId: unknown } }],
      ],
    },
    'POST /v1/restarts': { call: { path: '/v1/restarts', body: { ids: [f.live] } }, cases: [[202, { path: '/v1/restarts', body: { ids: [f.live] } }]] },

    'GET /v1/dead-letters': get('/v1/dead-letters', [[400, { path: '/v1/dead-letters?limit=0' }]]),
    'POST /v1/dead-letters/{id}/replay': {
      call: { path: `/v1/dead-letters/${f.deadLetter}/replay` },
      cases: [
        [202, { path: `/v1/dead-letters/${f.deadLetter}/replay` }],
        // replayed already
        [409, { path: `/v1/dead-letters/${f.deadLetter}/replay` }],
        [404, { path: `/v1/dead-letters/${unknown}/replay` }],
        [400, { path: `/v1/dead-letters/${BAD_ID}/replay` }],
      ],
    },

    // a stream: the helper that sends these reads its answer up to the headers (test/helpers/fuzz-send.ts)
    'GET /v1/watch': get('/v1/watch', [[400, { path: '/v1/watch?status=bogus' }]]),
    'GET /admin/watch': get('/admin/watch', [[400, { path: '/admin/watch', headers: { 'last-event-id': 'bogus' } }]]),

    'GET /v1/installation': get('/v1/installation'),
    'POST /v1/installation/adopt': { call: { path: '/v1/installation/adopt', body: {} }, cases: [[202, { path: '/v1/installation/adopt', body: {} }]] },

    'GET /v1/hosts': get('/v1/hosts'),
    'GET /v1/hosts/{name}': get(`/v1/hosts/${f.spareHost}`, [
      [404, { path: '/v1/hosts/no-such-host' }],
      [400, { path: `/v1/hosts/${BAD_HOST}` }],
    ]),
    // in this order: cordoned → cordoned → ready → draining
    'POST /v1/hosts/{name}/cordon': hostVerb('cordon'),
    'POST /v1/hosts/{name}/uncordon': hostVerb('uncordon'),
    'POST /v1/hosts/{name}/drain': hostVerb('drain'),
  };
}
