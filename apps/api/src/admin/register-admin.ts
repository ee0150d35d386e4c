import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  ACTION_KINDS,
  ApiError,
  DEAD_LETTER_QUEUE,
  HostName,
  RuntimeName,
  WORKSPACE_STATUSES,
  catalog,
  countByStatus,
  PageCursor,
  pageOf,
  getWorkspace,
  jobIdOf,
  listEvents,
  listHosts,
  listWorkspaces,
  listWorkspaceDeadLetters,
} from '@dockyard/shared';
import type { ApiDeps } from '../deps.ts';
import { queuesOfHost } from '../fleet-queues.ts';
import { validationFailed } from '../errors.ts';
import { queueUiJobUrl, registerQueueBoard } from './queue-board.ts';
import { renderListPage } from './workspace-list-page.ts';
import { renderDetailPage } from './workspace-detail-page.ts';
import { renderHostsPage } from './host-list-page.ts';
import { escapeHtml, html, page, sendPage } from './html.ts';
import { makeCsrf } from './csrf.ts';
import { takeFlash } from './flash.ts';
import { registerAdminActions } from './admin-actions.ts';
import { registerAdminAssets } from './assets.ts';

/** An empty select ("any") arrives as `status=`: treat it as absent. */
const blank = (v: unknown) => (v === '' ? undefined : v);
const PageQuery = z.object({
  status: z.preprocess(blank, z.enum(WORKSPACE_STATUSES).optional()),
  runtime: z.preprocess(blank, RuntimeName.optional()),
  host: z.preprocess(blank, HostName.optional()),
  limit: z.preprocess(blank, z.coerce.number().int().min(1).max(500).default(50)),
  cursor: z.preprocess(blank, PageCursor.optional()),
  /** search by name */
  q: z.preprocess(blank, z.string().trim().max(100).optional()),
  /** show removed workspaces too (hidden by default) */
  removed: z.preprocess(blank, z.enum(['1', 'true', 'on']).optional()),
});
const IdParam = z.object({ id: z.uuid() });
const JobQuery = z.object({ jobId: z.string().max(200).optional() });

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw validationFailed(what, r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  return r.data;
}

/**
 * The operator pages under /admin (all behind the app's auth hook): the queue UI
 * (bull-board), the server-rendered workspaces table with its per-workspace page, and the hosts.
 */
export async function registerAdmin(app: FastifyInstance, deps: ApiDeps) {
  await registerQueueBoard(app, deps);
  const hidden = { schema: { hide: true } };
  const csrf = makeCsrf(deps.config.apiToken);
  await registerAdminActions(app, deps, csrf);
  registerAdminAssets(app);

  app.get('/admin', hidden, async (_req, reply) => reply.redirect('/admin/workspaces'));

  app.get('/admin/workspaces', { schema: { tags: ['operations'], summary: 'Workspaces page (HTML): host, status, step, last error, restarts, actions; filters ?status=&runtime=&host=&q=&removed=&limit=&cursor=' } }, async (req, reply) => {
    const q = parse(PageQuery, req.query, 'query string');
    const after = q.cursor;
    const [rows, counts, hosts] = await Promise.all([
      listWorkspaces(deps.pool, {
        status: q.status,
        runtime: q.runtime,
        host: q.host,
        nameContains: q.q,
        excludeRemoved: !q.removed && q.status !== 'removed',
        limit: q.limit + 1,
        after,
      }),
      countByStatus(deps.pool),
      listHosts(deps.pool),
    ]);
    const { page, nextCursor } = pageOf(rows, q.limit);
    const body = renderListPage({
      rows: page,
      counts,
      statuses: WORKSPACE_STATUSES,
      runtimes: Object.keys(deps.config.runtimes.runtimes).sort(),
      hosts: hosts.map((h) => h.name),
      filter: { status: q.status, runtime: q.runtime, host: q.host, limit: q.limit, q: q.q, removed: !!q.removed },
      nextCursor,
      isFirstPage: !after,
      csrf: csrf.issue(),
      flash: takeFlash(req, reply),
    });
    return sendPage(reply, body);
  });

  // hidden like the per-workspace pages: the OpenAPI document lists the one operator page the README names
  app.get('/admin/hosts', hidden, async (_req, reply) => {
    const hosts = await listHosts(deps.pool);
    const body = renderHostsPage({ hosts, lostAfterMs: deps.config.timing.HOST_LOST_AFTER_MS, now: Date.now() });
    return reply.type('text/html; charset=utf-8').send(body);
  });

  app.get('/admin/workspaces/:id', hidden, async (req, reply) => {
    const { id } = parse(IdParam, req.params, 'workspace id');
    const ws = await getWorkspace(deps.pool, id);
    if (!ws) return reply.code(404).type('text/html; charset=utf-8').send(page('Not found', html`<p>No workspace ${id}.</p>`));
    const [events, deadLetters] = await Promise.all([listEvents(deps.pool, id, 200), listWorkspaceDeadLetters(deps.pool, id, 20)]);
    return sendPage(reply, renderDetailPage(ws, events, { deadLetters, csrf: csrf.issue(), flash: takeFlash(req, reply) }));
  });

  /** Find a workspace's job (the given one, else its current one) in whichever queue holds it. */
  app.get('/admin/workspaces/:id/job', hidden, async (req, reply) => {
    const { id } = parse(IdParam, req.params, 'workspace id');
    const { jobId: asked } = parse(JobQuery, req.query, 'query string');
    const ws = await getWorkspace(deps.pool, id);
    if (!ws) throw new ApiError('NOT_FOUND', `workspace ${id} not found`);
    const jobId = asked ?? ws.running_job_id ?? ws.queued_job_id ?? jobIdOf(ws.id, ws.generation);
    const queues = ws.host ? queuesOfHost(deps, ws.host) : [];
    for (const { name, queue } of [...queues, { name: deps.queues.deadLetter.name, queue: deps.queues.deadLetter }]) {
      const job = await queue.getJob(jobId);
      if (job && (job.data as { workspaceId?: string }).workspaceId === id) return reply.redirect(queueUiJobUrl(name, jobId));
    }
    return reply
      .code(404)
      .type('text/html; charset=utf-8')
      .send(page('Job not found', html`<p>Job <code>${jobId}</code> is no longer in any queue (finished jobs are kept for 7 days, failed ones for 14).</p><p><a href="/admin/workspaces/${escapeHtml(encodeURIComponent(id))}">back to the workspace</a></p>`));
  });
}
