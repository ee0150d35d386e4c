import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useStack } from './helpers/use-stack.ts';
import { testEnv } from './helpers/env.ts';
import { startTcpProxy, viaHostPort } from './helpers/tcp-proxy.ts';
import { waitForReadyz } from './helpers/stack-waits.ts';
import { waitFor } from './helpers/wait.ts';
import { closeAgent, send } from './helpers/fuzz-send.ts';
import { makeResponseChecker, type ResponseChecker } from './helpers/openapi-responses.ts';
import { apiScenario, type Call, type Case, type OperationScenario } from './helpers/api-scenario.ts';

type Proxy = Awaited<ReturnType<typeof startTcpProxy>>;
const MiB = 1024 * 1024;
const AUTH_FAILURES_PER_MINUTE = 60;

/**
 * Every answer of every route, checked against the served /openapi.json by a real OpenAPI response
 * validator (issue 16): a scenario reaches each status each operation declares (success, 400, 401,
 * 404, 409, 413, 429 and, with Postgres cut by a TCP proxy, 503), every answer must be one the
 * document declares with the body its schema describes, and every declared status must be reached,
 * so the document lists no status a route cannot send.
 */
describe('/openapi.json against every answer of every route (openapi-response-validator)', () => {
  let proxy: Proxy;
  beforeAll(async () => {
    const admin = new URL(testEnv().adminDatabaseUrl);
    proxy = await startTcpProxy({ host: admin.hostname, port: Number(admin.port || 5432) });
  });
  afterAll(async () => {
    closeAgent();
    await proxy?.close();
  });
  const stack = useStack({
    mapDatabaseUrl: (url) => viaHostPort(url, proxy.host, proxy.port),
    env: { AUTH_FAILURES_PER_MINUTE: String(AUTH_FAILURES_PER_MINUTE) },
  });
  afterAll(() => proxy?.restore()); // runs before the stack closes

  let checker: ResponseChecker;
  let scenario: Record<string, OperationScenario>;
  const seen = new Set<string>(); // "<operation> <status>"
  const violations: string[] = [];

  /** Send one request as the scenario says; record and check its answer; return its status. */
  const exchange = async (operation: string, call: Call, token: string | null = stack.token): Promise<number> => {
    const method = operation.split(' ', 1)[0]!;
    const headers: Record<string, string> = { ...call.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    const body = call.raw ?? (call.body === undefined ? undefined : JSON.stringify(call.body));
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await send(stack.url, { method, path: call.path, headers, body }, 20_000);
    const found = checker.violationsOf({ method, path: call.path, status: res.status, contentType: String(res.headers['content-type'] ?? ''), text: res.text });
    if (found === undefined) violations.push(`${method} ${call.path}: no operation of the document`);
    else violations.push(...found);
    const op = checker.operationOf(method, call.path);
    if (op !== operation) violations.push(`${method} ${call.path} is ${op}, not ${operation}`);
    seen.add(`${operation} ${res.status}`);
    return res.status;
  };

  /** Send each [expected status, request]; the differences, as "<operation> <path>: <expected> → <got>". */
  const run = async (cases: Array<[string, ...Case]>, token?: string | null) => {
    const wrong: string[] = [];
    for (const [operation, expected, call] of cases) {
      const got = await exchange(operation, call, token);
      if (got !== expected) wrong.push(`${operation} ${call.path}: ${expected} → ${got}`);
    }
    return wrong;
  };
  const declares = (operation: string, status: number) => checker.declared().includes(`${operation} ${status}`);
  const successOf = (s: OperationScenario) => s.cases.find(([status]) => status < 300)![0];

  beforeAll(async () => {
    checker = makeResponseChecker((await stack.request('GET', '/openapi.json')).body);
    const live = (await stack.create('busybox', 'scenario-live')).workspace.id;
    const removed = (await stack.create('busybox', 'scenario-removed')).workspace.id;
    expect((await stack.request('DELETE', `/v1/workspaces/${removed}`)).status).toBe(202);
    const doomed = (await stack.create('notemplate', 'scenario-doomed')).workspace.id;
    await stack.waitForStatus(doomed, 'failed', 60_000);
    const deadLetter = await waitFor('the dead letter', async () => (await stack.request('GET', '/v1/dead-letters')).body.items[0]?.id as string | undefined);
    // a host without workers, cordoned so that nothing is placed on it (its heartbeat is in the future: never lost)
    await stack.pool.query(`insert into hosts (name, capacity, state, last_heartbeat) values ('scenario-spare', 3, 'cordoned', now() + interval '1 hour')`);
    await stack.pool.query(`insert into hosts (name, capacity, state, last_heartbeat) values ('scenario-lost', 3, 'lost', now())`);
    scenario = apiScenario({ live, removed, deadLetter, spareHost: 'scenario-spare', lostHost: 'scenario-lost' });
  }, 120_000);

  it('has a scenario for every operation of the document, and for no other', () => {
    expect(Object.keys(scenario).sort()).toEqual([...checker.operations].sort());
  });

  it('answers every success and client error as declared: 2xx, 400, 404, 409, 413', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(MiB) });
    const cases = Object.entries(scenario).flatMap(([operation, s]): Array<[string, ...Case]> => [
      ...s.cases.map(([status, call]): [string, ...Case] => [operation, status, call]),
      ...(operation.startsWith('GET ')
        ? []
        : ([
            [operation, 400, { ...s.call, body: undefined, raw: '{"unfinished":' }],
            [operation, 413, { ...s.call, body: undefined, raw: big }],
          ] as Array<[string, ...Case]>)),
    ]);
    expect(await run(cases)).toEqual([]);
  }, 120_000);

  it('answers 503 on every route that needs Postgres while it is cut, and the others as usual', async () => {
    // the jobs the requests above queued end first: the cut is for the API's answers, not a job's steps
    const busy = `select count(*)::int as n from workspaces where running_job_id is not null or queued_job_id is not null`;
    await waitFor('every job to end', async () => (await stack.pool.query(busy)).rows[0].n === 0, { timeoutMs: 90_000 });
    proxy.cut();
    try {
      await waitForReadyz(stack, 503, 15_000);
      const cases = Object.entries(scenario).map(([operation, s]): [string, ...Case] => [operation, declares(operation, 503) ? 503 : successOf(s), s.call]);
      expect(await run(cases)).toEqual([]);
    } finally {
      proxy.restore();
    }
    await waitForReadyz(stack, 200, 30_000);
  }, 120_000);

  it('answers 401 without the token on every route but the health probes', async () => {
    const cases = Object.entries(scenario).map(([operation, s]): [string, ...Case] => [operation, declares(operation, 401) ? 401 : successOf(s), s.call]);
    expect(await run(cases, null)).toEqual([]);
  });

  it('answers 429 on every route but the health probes once this client ran out of refusals', async () => {
    await waitFor('the auth-failure limit to block this client', async () => (await stack.request('GET', '/v1/hosts', { token: null })).status === 429, {
      timeoutMs: 30_000,
      intervalMs: 0,
    });
    const cases = Object.entries(scenario).map(([operation, s]): [string, ...Case] => [operation, declares(operation, 429) ? 429 : successOf(s), s.call]);
    expect(await run(cases)).toEqual([]);
  });

  it('saw 0 violations, and every status the document declares', () => {
    expect(violations).toEqual([]);
    expect(checker.declared().filter((d) => !seen.has(d))).toEqual([]);
    expect(seen.size).toBeGreaterThan(100);
  });

  it('refuses an answer whose status, media type or body the document lacks', () => {
    const json = 'application/json; charset=utf-8';
    const error = JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no' } });
    const wrong = [
      { method: 'GET', path: '/v1/hosts', status: 404, contentType: json, text: error }, // a status it does not declare
      { method: 'GET', path: '/v1/hosts', status: 200, contentType: json, text: '{"hosts":[]}' }, // not its body
      { method: 'GET', path: '/v1/hosts/local', status: 404, contentType: json, text: '{"error":"no"}' }, // not the error shape
      { method: 'GET', path: '/metrics', status: 200, contentType: json, text: '{}' }, // not its media type
      { method: 'GET', path: '/healthz', status: 401, contentType: json, text: error }, // an open route
    ];
    for (const answer of wrong) expect(checker.violationsOf(answer), `${answer.method} ${answer.path} ${answer.status}`).not.toEqual([]);
    expect(checker.violationsOf({ method: 'GET', path: '/v1/hosts/local', status: 404, contentType: json, text: error })).toEqual([]);
  });
});
