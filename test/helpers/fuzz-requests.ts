import fc from 'fast-check';

/**
 * Arbitraries for test/api.fuzz.test.ts: whole HTTP requests (route, path params, query string,
 * headers, body) that mix values the API accepts with values it must refuse.
 */

/** A route of the API; `:param` segments are filled from `params`. */
export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  /** no Authorization needed (the contract's open routes) */
  open?: boolean;
  /** query keys the route reads, so the fuzz hits them more often than random keys */
  query?: string[];
  /** a body the route would accept, or one close to it */
  body?: fc.Arbitrary<unknown>;
  /** an HTML page for a browser: its 404 for a missing workspace or job is a page, not JSON */
  html?: boolean;
  /** an answer whose size follows what is stored (a page of up to 500 items, metrics, the OpenAPI document), not the request */
  sizeFollowsData?: boolean;
  /** removes what its `:id` names: it draws real ids from `disposableIds` */
  disposable?: boolean;
}

export interface Pools {
  workspaceIds: string[];
  hostNames: string[];
  runtimes: string[];
  /** workspaces a `disposable` route (delete) may remove, so the others stay alive for the rest */
  disposableIds: string[];
}

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
}

export interface FuzzAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  bytes: number;
  ms: number;
}

const UUID_NIL = '00000000-0000-0000-0000-000000000000';

/** Text that is hard on parsers and Postgres: NUL, lone surrogates, RTL marks, emoji, very long runs. */
let nasty: fc.Arbitrary<string> | undefined;
export const nastyString = (): fc.Arbitrary<string> =>
  (nasty ??= fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff', '\u202e', '👩‍👩‍👧', '%00', '../..', '<script>', "'; drop table workspaces; --", 'null', 'true', '1e999', '-0', 'NaN') },
    { weight: 1, arbitrary: fc.nat({ max: 3000 }).map((n) => 'x'.repeat(n)) },
  ));

/** Numbers JSON can carry that JavaScript and Postgres read differently. */
const nastyNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, 1e308, -1e308, 2 ** 53 + 1, -(2 ** 63), 2 ** 64, Number.MIN_VALUE, 1e-320, 500, 501, 1000, 1001),
);

/** Any JSON value, nested a few levels. */
let json: fc.Arbitrary<unknown> | undefined;
export const anyJson = (): fc.Arbitrary<unknown> =>
  (json ??= fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      nastyString(),
      nastyNumber,
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 5 }),
      fc.dictionary(fc.oneof(nastyString(), fc.constantFrom('name', 'runtime', 'env', 'ids', 'status', '__proto__', 'constructor')), tie('value'), { maxKeys: 5 }),
    ),
  })).value);

/** A workspace id, host name or other path parameter: real ones, well-formed unknown ones, and junk. */
export const pathParam = (pools: Pools, kind: 'id' | 'name'): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...(kind === 'id' ? pools.workspaceIds : pools.hostNames)) },
    { weight: 2, arbitrary: fc.uuid().map((u) => u) },
    { weight: 1, arbitrary: fc.constantFrom(UUID_NIL, UUID_NIL.toUpperCase(), `{${UUID_NIL}}`, `${UUID_NIL}0`, 'local', 'LOCAL', '-', '.', '..', '%2e%2e', '%ZZ', '%00', '%', 'a%2Fb', '%F0%9F%92%A9') },
    { weight: 2, arbitrary: nastyString().map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '?'))) },
    { weight: 1, arbitrary: fc.nat({ max: 300 }).map((n) => 'h'.repeat(n + 1)) },
  );

/** A query string: the route's own keys often, random keys sometimes, odd encodings and repeats. */
export const queryString = (route: Route, pools: Pools): fc.Arbitrary<string> => {
  const keys = [...(route.query ?? []), 'cursor', 'limit'];
  const value = fc.oneof(
    fc.constantFrom('', '0', '1', '-1', '50', '500', '501', '1e3', '0x10', 'NaN', 'true', 'false', 'null', '[]', ...pools.runtimes, 'online', 'provisioning', 'local', '%ZZ', '%00', 'a%26b%3Dc'),
    fc.nat({ max: 100_000 }).map(String),
    nastyString().map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '?'))),
    fc.base64String({ maxLength: 120 }).map((s) => s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=/g, '')),
  );
  const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }).map(encodeURIComponent) }, { weight: 1, arbitrary: fc.constantFrom('token', 'access_token', '__proto__', 'limit[]', 'a.b') });
  return fc.array(fc.tuple(key, value, fc.boolean()), { maxLength: 5 }).map((pairs) => {
    if (pairs.length === 0) return '';
    return `?${pairs.map(([k, v, bare]) => (bare && v === '' ? k : `${k}=${v}`)).join('&')}`;
  });
};

/** Header values Node will put on the wire (HTAB, visible ASCII and Latin-1; no CR, LF or NUL). */
const headerText = fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })).map((c) => String.fromCharCode(c)), maxLength: 60 });

export const authorization = (token: string): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constant(`Bearer ${token}`) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        undefined,
        '',
        'Bearer',
        'Bearer ',
        `bearer ${token}`,
        `BEARER ${token}`,
        `Bearer  ${token}`,
        `Bearer ${token} `,
        `Bearer ${token} junk`,
        `Bearer ${token}x`,
        `Bearer ${token.slice(0, -1)}`,
        `Bearer ${token.toUpperCase()}`,
        `Token ${token}`,
        token,
        `Basic ${Buffer.from(`admin:${token}`).toString('base64')}`,
        `Basic ${Buffer.from(`:${token}`).toString('base64')}`,
        `Basic ${Buffer.from(token).toString('base64')}`,
        'Basic !!!',
        'Basic ',
      ),
    },
    { weight: 1, arbitrary: headerText.map((t) => `Bearer ${t}`) },
    { weight: 1, arbitrary: headerText },
  );

export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constant('application/merge-patch+json') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      undefined,
      '',
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'application/json;charset=UTF-16',
      'APPLICATION/JSON',
      'application/json-patch+json',
      'application/vnd.api+json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'text/plain',
      'text/html',
      'application/octet-stream',
      '*/*',
      'application/',
      ';;;',
    ),
  },
  { weight: 1, arbitrary: headerText },
);

/** Bodies: the route's near-valid shape, any JSON value, and bytes that are not JSON at all. */
export const bodyText = (route: Route): fc.Arbitrary<string | Buffer | undefined> =>
  fc.oneof(
    { weight: route.body ? 5 : 0, arbitrary: (route.body ?? fc.constant({})).map((v) => JSON.stringify(v)) },
    { weight: 3, arbitrary: anyJson().map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 2,
      arbitrary: fc.oneof(
        fc.constantFrom('', ' ', '{', '}', '[', '{"a":', 'null', 'undefined', '{"name":"a"}{"name":"b"}', '{"__proto__":{"admin":true}}', '{"a":1,"a":2}', '\u0000', '\ufeff{}', '1'.repeat(400), `${'['.repeat(2000)}${']'.repeat(2000)}`, `${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}`, `[${'9'.repeat(3000)}]`),
        nastyString(),
        fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
      ),
    },
  );

export const fillPath = (route: Route, params: { id: string; name: string }) => route.path.replace(':id', params.id).replace(':name', params.name);

/** One request of any shape, for any route in `routes`. */
export const anyRequest = (routes: Route[], pools: Pools, token: string): fc.Arbitrary<FuzzRequest> => {
  // built once per route: building arbitraries per case (grapheme tables, regexes) costs more than the request
  const id = pathParam(pools, 'id');
  const name = pathParam(pools, 'name');
  const auth = authorization(token);
  return fc.oneof(...routes.map((route) => routeRequest(route, pools, { id, name, auth })));
};

function routeRequest(route: Route, pools: Pools, shared: { id: fc.Arbitrary<string>; name: fc.Arbitrary<string>; auth: fc.Arbitrary<string | undefined> }): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      id: shared.id,
      name: shared.name,
      query: fc.oneof({ weight: 2, arbitrary: fc.constant('') }, { weight: 3, arbitrary: queryString(route, pools) }),
      authorization: route.open ? fc.option(shared.auth, { nil: undefined }) : shared.auth,
      contentType,
      // a few fixed keys come back often: the same key with another body, route or token
      idempotencyKey: fc.option(fc.oneof(fc.constantFrom('fuzz-key-1', 'fuzz-key-2', ''), fc.uuid(), headerText, fc.nat({ max: 400 }).map((n) => 'k'.repeat(n))), { nil: undefined, freq: 2 }),
      extra: fc.option(fc.constantFrom<Record<string, string>>({ accept: 'text/html' }, { accept: 'application/xml' }, { 'accept-encoding': 'gzip, br' }, { 'x-forwarded-for': '1.2.3.4, ::1' }, { 'transfer-encoding': 'chunked' }, { expect: '100-continue' }, { range: 'bytes=0-1' }, { 'content-encoding': 'gzip' }, { 'x-http-method-override': 'DELETE' }), { nil: undefined }),
      body: route.method === 'GET' ? fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: bodyText(route) }) : bodyText(route),
      header: fc.option(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/), headerText), { nil: undefined, freq: 4 }),
      method: fc.oneof({ weight: 12, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD') }),
    })
    .map((r) => {
      const headers: Record<string, string> = { ...(r.header ? { [r.header[0]]: r.header[1] } : {}), ...r.extra };
      if (r.authorization !== undefined) headers.authorization = r.authorization;
      if (r.contentType !== undefined && r.body !== undefined) headers['content-type'] = r.contentType;
      if (r.idempotencyKey !== undefined) headers['idempotency-key'] = r.idempotencyKey;
      const at = pools.workspaceIds.indexOf(r.id);
      const params = { id: route.disposable && at >= 0 ? pools.disposableIds[at % pools.disposableIds.length]! : r.id, name: r.name };
      return { method: r.method, path: fillPath(route, params) + r.query, headers, body: r.body };
    });
}
