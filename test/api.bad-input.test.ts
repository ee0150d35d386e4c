import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCursor } from '@dockyard/shared';
import { useStack } from './helpers/use-stack.ts';

/**
 * Bad input that passed the old shape checks and reached Postgres (issue 12, findings 1, 2, 8, 9):
 * each is a 400 naming the field, with nothing written, and the answer stays small.
 */
describe('API input that Postgres would refuse, optional bodies, and the size of validation errors', () => {
  const stack = useStack({ worker: false });
  const UUID = '0b6f3f4e-2a7c-4d1e-9f00-123456789abc';
  const cursorOf = (text: string) => Buffer.from(text).toString('base64url');
  const LIST_ROUTES = ['/v1/workspaces', '/v1/dead-letters', '/admin/workspaces'];

  const expectNamed = (res: { status: number; body: any }, path: string) => {
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.any(String) });
    expect(res.body.error.details.map((d: any) => d.path)).toContain(path);
  };

  describe('paging cursors (finding 1)', () => {
    // shaped like the cursors the API issues (base64url of "<created_at text>|<id>"), but not real
    const FORGED = [
      `2026-13-45 99:99:99+00|${'-'.repeat(36)}`, // the audit's
      `2026-01-01 00:00:00+00|${'-'.repeat(36)}`,
      `2026-01-01 00:00:00+00|zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz`,
      `2026-01-01 00:00:00+00|0b6f3f4e2a7c-4d1e-9f00-1234-56789abc`,
      `2026-02-30 10:00:00+00|${UUID}`,
      `2025-02-29 10:00:00+00|${UUID}`,
      `1900-02-29 10:00:00+00|${UUID}`,
      `2026-04-31 10:00:00+00|${UUID}`,
      `2026-00-10 10:00:00+00|${UUID}`,
      `2026-01-01 24:00:00+00|${UUID}`,
      `2026-01-01 23:60:00+00|${UUID}`,
      `2026-01-01 23:59:60+00|${UUID}`,
      `0000-01-01 00:00:00+00|${UUID}`,
      `2026-01-01 00:00:00+16|${UUID}`,
      `2026-01-01 00:00:00+05:60|${UUID}`,
    ];
    // real positions at the edges of what Postgres prints
    const REAL = [
      `2024-02-29 23:59:59.999999+15:59|${UUID}`,
      `2000-02-29 00:00:00-12|${UUID}`,
      `1900-02-28 12:00:00+05:53:28|${UUID}`,
      `2026-11-26 10:20:30.5+00|00000000-0000-0000-0000-000000000000`,
      `0001-01-01 00:00:00+00|${UUID.toUpperCase()}`,
    ];

    it('accepts only cursors whose position Postgres accepts, and every real one', async () => {
      const postgresAccepts = (text: string) => {
        const [at, id] = text.split('|');
        return stack.pool.query('select $1::timestamptz, $2::uuid', [at, id]).then(
          () => true,
          () => false,
        );
      };
      for (const text of FORGED) expect(decodeCursor(cursorOf(text)), text).toBeUndefined();
      const readable = await Promise.all(FORGED.map(postgresAccepts));
      for (const text of REAL) {
        expect(await postgresAccepts(text), text).toBe(true);
        expect(decodeCursor(cursorOf(text)), text).toEqual({ createdAt: text.split('|')[0], id: text.split('|')[1] });
      }
      // the others would have reached Postgres as an error; these it reads (rolling 24:00 and a leap
      // second over, hyphens anywhere), but it never prints them, so no cursor this API issued holds them
      const readByPostgres = FORGED.filter((_, i) => readable[i]);
      expect(readByPostgres).toEqual([FORGED[3], FORGED[9], FORGED[11]]);
    });

    it('answers a forged cursor with 400 naming `cursor` on every paged route, never a 500', async () => {
      for (const path of LIST_ROUTES) {
        for (const text of FORGED) expectNamed(await stack.request('GET', `${path}?cursor=${cursorOf(text)}`), 'cursor');
        expectNamed(await stack.request('GET', `${path}?cursor=garbage`), 'cursor');
      }
    });

    it('pages from a real position at the edge of the calendar', async () => {
      for (const path of LIST_ROUTES) {
        for (const text of REAL) expect((await stack.request('GET', `${path}?cursor=${cursorOf(text)}`)).status, `${path} ${text}`).toBe(200);
      }
    });
  });

  describe('NUL in stored text (finding 2)', () => {
    let id: string;
    const rowCount = async () => Number((await stack.pool.query('select count(*) from workspaces')).rows[0].count);
    const eventCount = async () => Number((await stack.pool.query('select count(*) from workspace_events')).rows[0].count);
    beforeAll(async () => {
      id = (await stack.create('busybox', 'nul-target')).workspace.id;
    });

    it('refuses a NUL in the name or an env value with a 400 naming the field, and creates nothing', async () => {
      const before = await rowCount();
      expectNamed(await stack.request('POST', '/v1/workspaces', { body: { name: 'a\u0000b', runtime: 'busybox' } }), 'name');
      expectNamed(await stack.request('POST', '/v1/workspaces', { body: { name: 'a', runtime: 'busybox', env: { KEY: 'v\u0000' } } }), 'env.KEY');
      expect(await rowCount()).toBe(before);
    });

    it('refuses a NUL in a restart reason or an outside event detail, and records nothing', async () => {
      const before = { events: await eventCount(), generation: (await stack.request('GET', `/v1/workspaces/${id}`)).body.generation };
      expectNamed(await stack.request('POST', `/v1/workspaces/${id}/restart`, { body: { reason: 'why\u0000' } }), 'reason');
      expectNamed(await stack.request('POST', '/v1/events', { body: { type: 'container.died', workspaceId: id, detail: '\u0000' } }), 'detail');
      expect(await eventCount()).toBe(before.events);
      expect((await stack.request('GET', `/v1/workspaces/${id}`)).body.generation).toBe(before.generation);
    });
  });

  describe('optional bodies (finding 8)', () => {
    it('takes a restart with no body, or an empty JSON body, as {}', async () => {
      const { workspace } = await stack.create('busybox', 'no-body');
      // fetch sends neither a body nor a Content-Type
      const bare = await stack.request('POST', `/v1/workspaces/${workspace.id}/restart`);
      expect(bare.status, JSON.stringify(bare.body)).toBe(202);
      const empty = await stack.request('POST', `/v1/workspaces/${workspace.id}/restart`, { raw: '', headers: { 'content-type': 'application/json' } });
      expect(empty.status, JSON.stringify(empty.body)).toBe(202);
      expect((await stack.request('POST', '/v1/installation/adopt')).status).toBe(202);
    });

    it('still requires the body where the schema does', async () => {
      for (const raw of [undefined, '']) {
        const res = await stack.request('POST', '/v1/workspaces', { raw, headers: raw === undefined ? {} : { 'content-type': 'application/json' } });
        expect(res.status).toBe(400);
        expect(res.body.error.code).toBe('VALIDATION_FAILED');
      }
    });
  });

  describe('the size of a validation error (finding 9)', () => {
    const SMALL_ANSWER = 64 * 1024;
    const post = async (body: string) => {
      const res = await fetch(`${stack.url}/v1/workspaces`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
        body,
      });
      const text = await res.text();
      return { status: res.status, size: Buffer.byteLength(text), body: JSON.parse(text) };
    };

    it('refuses 60,000 env names at once, before checking them one by one', async () => {
      const env = Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`-${String(i).padStart(5, '0')}`, '']));
      const body = JSON.stringify({ name: 'many', runtime: 'busybox', env });
      expect(Buffer.byteLength(body)).toBeLessThan(1024 * 1024);
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.size).toBeLessThan(SMALL_ANSWER);
      expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', message: 'env: at most 200 env variables (this body names 60000)' });
    });

    it('lists the first 20 of 400 bad env names and counts the rest', async () => {
      const env = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`-${String(i).padStart(5, '0')}`, '']));
      const res = await post(JSON.stringify({ name: 'many', runtime: 'busybox', env }));
      expect(res.status).toBe(400);
      expect(res.size).toBeLessThan(SMALL_ANSWER);
      expect(res.body.error.details).toHaveLength(20);
      expect(res.body.error.details[0]).toMatchObject({ path: 'env.-00000', in: 'body' });
      const total = Number(/^invalid body: (\d+) issues, the first 20 listed$/.exec(res.body.error.message)?.[1]);
      expect(total).toBeGreaterThanOrEqual(400);
    });

    it('cuts long names and messages: 50,000 unknown fields, one huge bad env name', async () => {
      const unknown = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`field${i}`, 0]));
      const many = await post(JSON.stringify({ name: 'a', runtime: 'busybox', ...unknown }));
      expect(many.status).toBe(400);
      expect(many.size).toBeLessThan(SMALL_ANSWER);
      const huge = await post(JSON.stringify({ name: 'a', runtime: 'busybox', env: { [`-${'x'.repeat(900_000)}`]: '' } }));
      expect(huge.status).toBe(400);
      expect(huge.size).toBeLessThan(SMALL_ANSWER);
      expect(huge.body.error.details[0].path).toMatch(/^env\.-x+…$/);
    });
  });
});
