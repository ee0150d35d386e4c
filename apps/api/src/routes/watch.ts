import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError, WATCH_CURSOR_PATTERN, formatCursor, parseCursor, readWatchFrontier, toWatchEventJson, type WatchCursor, type WatchFilter } from '@dockyard/shared';
import type { ApiDeps } from '../deps.ts';
import { validationFailed } from '../errors.ts';
import { WorkspaceStatus, errorResponses } from '../schemas.ts';
import { makeWatchFeed } from '../watch/feed.ts';

const Cursor = z.string().regex(new RegExp(WATCH_CURSOR_PATTERN), 'must be an event id this stream sent');

const WatchQuery = z.object({
  workspaceId: z.uuid({ message: 'must be a UUID' }).optional(),
  /** only transitions to this status */
  status: WorkspaceStatus.optional(),
  /** where to resume, for clients that cannot set Last-Event-ID */
  lastEventId: Cursor.optional(),
});
const WatchHeaders = z.object({ 'last-event-id': Cursor.optional() });

/** A client with a slower connection than the events: it is cut off, and resumes with Last-Event-ID. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

const DESCRIPTION =
  'Every workspace transition as it is written (Server-Sent Events). Each event: `id:` an opaque cursor (increasing), ' +
  '`data:` a WatchEvent {workspaceId, from, to, cause, generation, at, message, jobId, attempt}. Resume with the ' +
  '`Last-Event-ID` header (or `?lastEventId=`): the events after it are replayed from the event log, none missed or ' +
  'repeated. The stream starts with an `id:` line without data (the position it starts from) and sends a `: heartbeat` ' +
  'comment every WATCH_HEARTBEAT_MS.';

const watchSchema = (tags: string[], summary: string) => ({
  tags,
  summary,
  description: DESCRIPTION,
  querystring: WatchQuery,
  headers: WatchHeaders,
  response: {
    200: {
      description: 'an endless text/event-stream: `id:` an opaque cursor, `data:` a WatchEvent (JSON); comment lines as heartbeats',
      content: { 'text/event-stream': { schema: z.string() } },
    },
    ...errorResponses({ method: 'GET', validates: true, tooMany: 'or WATCH_STREAMS_PER_CLIENT streams are open from this client' }),
  },
});

const PATHS: Array<[path: string, tags: string[], summary: string]> = [
  ['/v1/watch', ['watch'], 'Watch every workspace transition (Server-Sent Events)'],
  // EventSource cannot send a bearer header: the admin pages' Basic auth covers /admin/*
  ['/admin/watch', ['operations'], 'The watch stream for the admin pages (EventSource; HTTP Basic with the token)'],
];

/**
 * GET /v1/watch and GET /admin/watch (the same stream under the admin pages' auth), fed by one
 * watch feed per process, started and stopped with the app.
 */
export function registerWatchRoutes(app: FastifyInstance, deps: ApiDeps) {
  const feed = makeWatchFeed({ databaseUrl: deps.config.databaseUrl, pool: deps.pool, log: deps.log, pollMs: deps.config.watch.pollMs });
  const open = new Map<string, number>(); // client IP → streams open in this process
  const streams = new Set<FastifyReply['raw']>();
  app.addHook('onReady', async () => feed.start());
  app.addHook('preClose', async () => {
    for (const res of streams) res.end();
  });
  app.addHook('onClose', async () => feed.stop());

  const limit = deps.config.watch.streamsPerClient;
  const typed = app.withTypeProvider<ZodTypeProvider>();
  for (const [path, tags, summary] of PATHS) {
    typed.get(path, { schema: watchSchema(tags, summary) }, async (req, reply) => {
      const given = req.headers['last-event-id'] ?? req.query.lastEventId;
      const resumeAt = given === undefined ? undefined : parseCursor(given);
      if (given !== undefined && !resumeAt) throw validationFailed('Last-Event-ID', [{ path: 'lastEventId', message: 'out of range' }]);
      if ((open.get(req.ip) ?? 0) >= limit) throw new ApiError('RATE_LIMITED', `at most ${limit} watch streams per client; close one first`);
      const frontier = await readWatchFrontier(deps.pool); // also: 503 while Postgres does not answer
      if (req.method === 'HEAD') return reply.type('text/event-stream; charset=utf-8').send('');
      openStream(req, reply, resumeAt ?? frontier, { workspaceId: req.query.workspaceId, status: req.query.status });
    });
  }

  function openStream(req: FastifyRequest, reply: FastifyReply, after: WatchCursor, filter: WatchFilter) {
    const client = req.ip;
    open.set(client, (open.get(client) ?? 0) + 1);
    reply.hijack();
    const res = reply.raw;
    streams.add(res);
    // the headers hooks set on the reply (the security headers) go out with the stream's own
    const fromHooks = Object.fromEntries(Object.entries(reply.getHeaders()).filter(([, v]) => v !== undefined)) as OutgoingHttpHeaders;
    res.writeHead(200, {
      ...fromHooks,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 1000\nid: ${formatCursor(after)}\n\n`);
    const unsubscribe = feed.subscribe(filter, after, (row, at) => {
      res.write(`id: ${formatCursor(at)}\ndata: ${JSON.stringify(toWatchEventJson(row))}\n\n`);
      if (res.writableLength > MAX_BUFFERED_BYTES) res.end();
    });
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), deps.config.watch.heartbeatMs);
    res.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
      const n = (open.get(client) ?? 1) - 1;
      if (n > 0) open.set(client, n);
      else open.delete(client);
    });
  }
}
