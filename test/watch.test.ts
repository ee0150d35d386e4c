import { afterAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { insertNote, makePool, makeQueues, makeRedisClient, makeSecretBox, producerRedisConnection, type Logger } from '@dockyard/shared';
import { buildApp } from '../apps/api/src/app.ts';
import { loadConfig } from '../apps/api/src/config.ts';
import { useStack } from './helpers/use-stack.ts';
import { openSse, type SseStream } from './helpers/sse.ts';
import { waitFor } from './helpers/wait.ts';

/**
 * GET /v1/watch (issue 15, part 1): every transition once, in order, across a dropped connection,
 * an API restart and a second API process; filters; the per-client stream limit.
 */
const STREAMS_PER_CLIENT = 4;

describe('the watch stream (GET /v1/watch)', () => {
  const stack = useStack({ env: { WATCH_STREAMS_PER_CLIENT: String(STREAMS_PER_CLIENT), WATCH_HEARTBEAT_MS: '200', WATCH_POLL_MS: '300' } });
  const opened: SseStream[] = [];
  afterAll(() => opened.forEach((s) => s.close()));

  const watch = async (query = '', headers: Record<string, string> = {}, base = stack.url) => {
    const s = await openSse(`${base}/v1/watch${query}`, { authorization: `Bearer ${stack.token}`, ...headers });
    opened.push(s);
    return s;
  };
  /** The event log's rows, oldest first, as the stream shows them. */
  const logOf = async (id: string) => (await stack.events(id)).map((e: any) => ({ workspaceId: id, from: e.from, to: e.to, cause: e.cause, at: e.at, message: e.message, jobId: e.jobId, attempt: e.attempt }));
  const seenOf = (events: SseStream['events'], id: string) =>
    events.filter((e) => e.data.workspaceId === id).map(({ data: { generation: _g, ...rest } }) => rest);
  const idsIncrease = (events: SseStream['events']) => {
    const keys = events.map((e) => e.id.split('-').map(BigInt) as [bigint, bigint]);
    return keys.every((k, i) => i === 0 || k[0] > keys[i - 1]![0] || (k[0] === keys[i - 1]![0] && k[1] > keys[i - 1]![1]));
  };

  it('shows a create and a restart as they are written: provisioning → online, in order, exactly the event log', async () => {
    const all = await watch();
    expect(all.status).toBe(200);
    const { workspace, jobId } = await stack.create('busybox', 'watch-restart');
    await stack.waitForJob(workspace.id, jobId, 'online');
    const restart = await stack.request('POST', `/v1/workspaces/${workspace.id}/restart`, { body: { reason: 'watch' } });
    await stack.waitForJob(workspace.id, restart.body.jobId, 'online');
    const log = await logOf(workspace.id);
    await waitFor('the stream to show every event', async () => seenOf(all.events, workspace.id).length >= log.length || undefined);
    expect(seenOf(all.events, workspace.id)).toEqual(log);
    const restartTos = seenOf(all.events, workspace.id).filter((e) => e.jobId === restart.body.jobId).map((e) => e.to);
    expect(restartTos[0]).toBe('provisioning');
    expect(restartTos.at(-1)).toBe('online');
    expect(idsIncrease(all.events)).toBe(true);
    const mine = all.events.filter((e) => e.data.workspaceId === workspace.id);
    expect(mine.at(-1)!.data.generation).toBe((await stack.request('GET', `/v1/workspaces/${workspace.id}`)).body.generation);
    expect(all.comments).toBeGreaterThan(0); // heartbeats
    all.close();
  });

  it('resumes with Last-Event-ID (or ?lastEventId=) after a dropped connection: nothing missed or repeated', async () => {
    const first = await watch();
    const { workspace, jobId } = await stack.create('busybox', 'watch-resume');
    await waitFor('the first event', async () => seenOf(first.events, workspace.id).length > 0 || undefined);
    first.close();
    const cut = first.lastId()!;
    const restart = await stack.request('POST', `/v1/workspaces/${workspace.id}/restart`, {});
    expect(restart.status).toBe(202);
    const second = await watch('', { 'last-event-id': cut });
    await stack.waitForJob(workspace.id, jobId, 'online');
    await stack.waitForJob(workspace.id, restart.body.jobId, 'online');
    const log = await logOf(workspace.id);
    const union = () => [...seenOf(first.events, workspace.id), ...seenOf(second.events, workspace.id)];
    await waitFor('the resumed stream to catch up', async () => union().length >= log.length || undefined);
    expect(union()).toEqual(log);
    // the same from the query string, for clients that cannot set headers
    const third = await watch(`?lastEventId=${encodeURIComponent(cut)}&workspaceId=${workspace.id}`);
    await waitFor('the replay', async () => third.events.length >= second.events.filter((e) => e.data.workspaceId === workspace.id).length || undefined);
    expect(seenOf(third.events, workspace.id)).toEqual(seenOf(second.events, workspace.id));
    for (const s of [second, third]) s.close();
  });

  it('filters by workspace and by the status moved to', async () => {
    const a = (await stack.create('busybox', 'watch-filter-a')).workspace.id;
    const b = (await stack.create('busybox', 'watch-filter-b')).workspace.id;
    const onlyA = await watch(`?workspaceId=${a}&lastEventId=0-0`);
    const onlineOnly = await watch('?status=online&lastEventId=0-0');
    await stack.waitForStatus(a, 'online');
    await stack.waitForStatus(b, 'online');
    const [logA, logB] = [await logOf(a), await logOf(b)];
    await waitFor('the filtered streams', async () => (onlyA.events.length >= logA.length && onlineOnly.events.some((e) => e.data.workspaceId === b)) || undefined);
    expect(onlyA.events.map((e) => e.data.workspaceId)).toEqual(logA.map(() => a));
    expect(seenOf(onlyA.events, a)).toEqual(logA);
    expect(onlineOnly.events.every((e) => e.data.to === 'online')).toBe(true);
    expect(seenOf(onlineOnly.events, b)).toEqual(logB.filter((e) => e.to === 'online'));
    expect((await watch('?status=bogus')).status).toBe(400);
    expect((await watch('', { 'last-event-id': 'not-a-cursor' })).status).toBe(400);
    for (const s of [onlyA, onlineOnly]) s.close();
  });

  it(`answers 429 past ${STREAMS_PER_CLIENT} streams from one client, and takes a new one once one closes`, async () => {
    const held: SseStream[] = [];
    // streams of the tests before may take a moment to be released by the server
    await waitFor('this client to hold the most streams it may', async () => {
      held.splice(0).forEach((s) => s.close());
      for (let i = 0; i < STREAMS_PER_CLIENT; i++) held.push(await watch());
      return held.every((s) => s.status === 200) || undefined;
    });
    const over = await watch();
    expect(over.status).toBe(429);
    expect((over.body as any).error.code).toBe('RATE_LIMITED');
    held.forEach((s) => s.close());
    await waitFor('a stream to be accepted again', async () => {
      const again = await watch();
      again.close();
      return again.status === 200 || undefined;
    });
  });

  it('a second API process sees what the first wrote, and a resume spans an API restart', async () => {
    const apps: FastifyInstance[] = [];
    const start = async () => {
      const config = loadConfig(stack.env);
      const log = pino({ level: 'silent' }) as unknown as Logger;
      const pool = makePool(stack.env.DATABASE_URL!, log);
      const queues = makeQueues(producerRedisConnection(stack.env.REDIS_URL!), stack.env.QUEUE_PREFIX!);
      const redis = makeRedisClient(stack.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
      const app = await buildApp({ config, pool, queues, redis, log, timing: config.timing, secrets: makeSecretBox(config.secretKeys) });
      app.addHook('onClose', async () => {
        await queues.close();
        redis.disconnect();
        await pool.end();
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      apps.push(app);
      return { app, url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` };
    };
    try {
      const other = await start();
      const there = await watch('', {}, other.url);
      const { workspace, jobId } = await stack.create('busybox', 'watch-second-api');
      await waitFor('the first event on the other API', async () => seenOf(there.events, workspace.id).length > 0 || undefined);
      const cut = there.lastId()!;
      await other.app.close(); // the API restarts while the job runs
      await there.ended;
      const restarted = await start();
      const resumed = await watch('', { 'last-event-id': cut }, restarted.url);
      await stack.waitForJob(workspace.id, jobId, 'online');
      const log = await logOf(workspace.id);
      const union = () => [...seenOf(there.events, workspace.id), ...seenOf(resumed.events, workspace.id)];
      await waitFor('the resumed stream', async () => union().length >= log.length || undefined);
      expect(union()).toEqual(log);
      resumed.close();
    } finally {
      for (const app of apps) await app.close();
    }
  });

  it('loses no event of concurrent writers that commit out of id order', async () => {
    const ids = await Promise.all(['c1', 'c2', 'c3'].map(async (n) => (await stack.create('busybox', `watch-${n}`)).workspace.id));
    const all = await watch();
    expect(all.status).toBe(200);
    const N = 40;
    // each transaction takes its id at insert, then commits after a different pause: commits come out of id order
    await Promise.all(
      Array.from({ length: N }, async (_, i) => {
        const client = await stack.pool.connect();
        try {
          await client.query('begin');
          await insertNote(client, { workspaceId: ids[i % ids.length]!, cause: 'watch test', message: `note ${i}` });
          await client.query('select pg_sleep($1::float8)', [((N - i) % 7) / 20]);
          await client.query('commit');
        } finally {
          client.release();
        }
      }),
    );
    const bulk = await stack.request('POST', '/v1/restarts', { body: { ids } });
    expect(bulk.status).toBe(202);
    for (const id of ids) await stack.waitForStatus(id, 'online');
    for (const id of ids) await stack.waitForIdle(id);
    const notes = () => all.events.filter((e) => e.data.cause === 'watch test').map((e) => e.data.message);
    await waitFor('every note', async () => notes().length >= N || undefined);
    expect(notes().sort()).toEqual(Array.from({ length: N }, (_, i) => `note ${i}`).sort());
    for (const id of ids) {
      const log = (await logOf(id)).filter((e) => e.cause !== 'watch test' && e.at >= all.events[0]!.data.at);
      await waitFor(`the stream to show ${id}'s restart`, async () => seenOf(all.events, id).filter((e) => e.cause !== 'watch test').length >= log.length || undefined);
    }
    const keys = all.events.map((e) => e.id);
    expect(new Set(keys).size).toBe(keys.length);
    expect(idsIncrease(all.events)).toBe(true);
    all.close();
  });
});
