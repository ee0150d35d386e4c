import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { useStack } from './helpers/use-stack.ts';
import { rawRequest, type RawAnswer } from './helpers/raw-http.ts';

const STATUS_OF_CODE: Record<string, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
};

/**
 * Requests that fail before a route runs (issue 12, findings 5, 6, 7): the HTTP parser's and the
 * router's refusals answer in the contract's shape, the Authorization header is parsed strictly,
 * and the log never keeps a URL's query string.
 */
describe('the edge of the API: parser and router errors, the Authorization header, logged URLs', () => {
  const stack = useStack({ worker: false });
  const raw = (head: string, body = '') => rawRequest(stack.url, `${head}\r\nHost: x\r\nConnection: close\r\n\r\n${body}`);
  const authorized = () => `Authorization: Bearer ${stack.token}`;

  const expectContractError = (res: RawAnswer, code: string, mustNotEcho?: string) => {
    expect(res.status, res.text).toBe(STATUS_OF_CODE[code]);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(res.body)).toEqual(['error']);
    expect(res.body.error).toMatchObject({ code, message: expect.any(String) });
    expect(Object.keys(res.body.error).sort()).toEqual(['code', 'message']);
    if (mustNotEcho) expect(res.text).not.toContain(mustNotEcho);
  };

  describe("the router's and the parser's errors (finding 6)", () => {
    it('answers a path that is not valid %-encoding with 400, without echoing it', async () => {
      expectContractError(await raw(`GET /v1/workspaces/%ZZ-echo HTTP/1.1\r\n${authorized()}`), 'VALIDATION_FAILED', 'echo');
      expectContractError(await raw('GET /v1/workspaces/%E0%A4%A-echo HTTP/1.1'), 'VALIDATION_FAILED', 'echo');
    });

    it('answers a path segment over the router limit with 400, not a 414 echoing the path', async () => {
      const marker = `x${randomBytes(8).toString('hex')}`;
      for (const path of [`/v1/workspaces/${'a'.repeat(120)}${marker}`, `/v1/hosts/${'h'.repeat(200)}${marker}/cordon`]) {
        expectContractError(await raw(`GET ${path} HTTP/1.1\r\n${authorized()}`), 'VALIDATION_FAILED', marker);
      }
    });

    it('answers a malformed, duplicate or negative Content-Length and bad chunking with 400', async () => {
      const post = `POST /v1/workspaces HTTP/1.1\r\n${authorized()}\r\nContent-Type: application/json`;
      for (const [head, body] of [
        [`${post}\r\nContent-Length: -1`, '{}'],
        [`${post}\r\nContent-Length: 2\r\nContent-Length: 3`, '{}'],
        [`${post}\r\nContent-Length: 2x`, '{}'],
        [`${post}\r\nTransfer-Encoding: chunked`, 'zz\r\n{}\r\n0\r\n\r\n'],
        [`${post}\r\nTransfer-Encoding: chunked\r\nContent-Length: 2`, '{}'],
      ] as const) {
        expectContractError(await raw(head, body), 'VALIDATION_FAILED');
      }
    });

    it('answers headers over the limit with 413 in the contract shape, not a bare 431', async () => {
      expectContractError(await raw(`GET /v1/workspaces HTTP/1.1\r\n${authorized()}\r\nX-Big: ${'a'.repeat(20_000)}`), 'PAYLOAD_TOO_LARGE');
    });

    it('answers an unknown route with 404 without echoing the path', async () => {
      const marker = `m${randomBytes(8).toString('hex')}`;
      expectContractError(await raw(`GET /v1/${marker} HTTP/1.1\r\n${authorized()}`), 'NOT_FOUND', marker);
      expectContractError(await raw(`GET /v1/${marker} HTTP/1.1`), 'UNAUTHORIZED', marker);
    });
  });

  describe('the Authorization header (finding 7)', () => {
    const withAuth = (authorization: string, path = '/v1/workspaces') => stack.request('GET', path, { token: null, headers: { authorization } });

    it('accepts exactly "Bearer <token>"', async () => {
      expect((await withAuth(`Bearer ${stack.token}`)).status).toBe(200);
      expect((await withAuth(`bearer ${stack.token}`)).status).toBe(200); // the scheme is case-insensitive (RFC 9110)
      for (const header of [`Bearer ${stack.token} anything`, `Bearer ${stack.token} ${stack.token}`, `Bearer  ${stack.token}`, `Bearer\t${stack.token}`, `Bearer:${stack.token}`, `${stack.token}`]) {
        const res = await withAuth(header);
        expect(res.status, header).toBe(401);
        expect(res.body.error.code).toBe('UNAUTHORIZED');
      }
    });

    it('accepts Basic with the token as password on the browser pages only, strictly encoded', async () => {
      const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
      expect((await withAuth(basic(`operator:${stack.token}`), '/admin/workspaces')).status).toBe(200);
      expect((await withAuth(basic(`:${stack.token}`), '/admin/workspaces')).status).toBe(200);
      expect((await withAuth(`${basic(`operator:${stack.token}`)} junk`, '/admin/workspaces')).status).toBe(401);
      expect((await withAuth(basic(`operator:${stack.token} junk`), '/admin/workspaces')).status).toBe(401);
      expect((await withAuth(basic(stack.token), '/admin/workspaces')).status).toBe(401);
      expect((await withAuth(basic(`operator:${stack.token}`))).status).toBe(401);
    });
  });

  describe('URLs in the log (finding 5)', () => {
    it('logs request paths without their query string, so a token put in the URL stays out of the log', async () => {
      const secret = `q-${randomBytes(16).toString('hex')}`;
      const from = stack.logLines.length;
      for (const name of ['token', 'access_token', 'api_key', 'apiKey']) {
        expect((await stack.request('GET', `/v1/workspaces?${name}=${stack.token}`, { token: null })).status).toBe(401);
        expect((await stack.request('GET', `/v1/workspaces?limit=5&${name}=${secret}`)).status).toBe(200);
      }
      expect((await stack.request('GET', `/v1/nothing-here?token=${secret}`)).status).toBe(404);
      expect((await raw(`GET /v1/workspaces/%ZZ?token=${secret} HTTP/1.1`)).status).toBe(400);
      expect((await raw(`GET /v1/workspaces?token=${secret} HTTP/1.1\r\nContent-Length: -1`)).status).toBe(400);

      const lines = stack.logLines.slice(from);
      for (const needle of [stack.token, secret]) expect(lines.filter((l) => l.includes(needle))).toEqual([]);
      // the requests were logged, with their paths
      const urls = lines.flatMap((l) => (l.includes('"request completed"') ? [JSON.parse(l).req.url] : []));
      expect(urls.filter((u) => u === '/v1/workspaces')).toHaveLength(8);
      expect(urls).toContain('/v1/nothing-here');
      expect(urls).toContain('/v1/workspaces/%ZZ');
    });
  });
});
