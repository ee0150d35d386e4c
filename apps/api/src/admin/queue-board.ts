import type { FastifyInstance } from 'fastify';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { ApiDeps } from '../deps.ts';
import { fleetQueues, type NamedQueue } from '../fleet-queues.ts';
import { guardQueueUi } from './queue-board-guard.ts';

export const QUEUE_UI_PATH = '/admin/queues';

/** The bull-board URL of one job. */
export const queueUiJobUrl = (queueName: string, jobId: string) =>
  `${QUEUE_UI_PATH}/queue/${encodeURIComponent(queueName)}/${encodeURIComponent(jobId)}`;

/** How often the board looks for hosts that joined the fleet. */
const REFRESH_MS = 5_000;

/**
 * No page may load anything from a third-party host (the CSP of security-headers.ts blocks it too):
 * bull-board's page links a web-font stylesheet of a font host, so off-site <link>s are dropped
 * from it and the UI draws with the system's fonts.
 */
const SYSTEM_FONTS = { 'font-sans': 'system-ui, sans-serif', 'font-mono': 'ui-monospace, monospace' };
const OFF_SITE_LINK = /<link\b[^>]*\bhref="(?:https?:)?\/\/[^"]*"[^>]*>\s*/gi;
const isHtml = (type: unknown) => String(type ?? '').startsWith('text/html');

/**
 * bull-board at /admin/queues over every Dockyard queue: each host's lifecycle queues
 * (`<kind>@<host>`, the list follows the hosts table) and the dead-letter queue. Nothing in it
 * is a way around the intent log: the lifecycle queues offer inspection and the actions that
 * queue-board-guard.ts allows (pause, promote, clean of finished jobs; no add, no retry); the
 * dead-letter queue is read-only, because a replay must go through POST /v1/dead-letters/:id/replay
 * to keep the workspace row consistent. Authentication is the app's onRequest hook (Bearer, or
 * Basic with the token as password); every error under /admin/queues/api is in the contract's shape.
 */
export async function registerQueueBoard(app: FastifyInstance, deps: ApiDeps) {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_UI_PATH);
  let listed: NamedQueue[] = [];
  const adapters = async () => {
    listed = await fleetQueues(deps);
    return listed.map(({ name, host, queue }) =>
      host
        ? new BullMQAdapter(queue, { allowRetries: false, description: `${name.slice(0, name.indexOf('@'))} jobs of host ${host}` })
        : new BullMQAdapter(queue, { readOnlyMode: true, description: 'jobs that failed for good; replay with POST /v1/dead-letters/:id/replay' }),
    );
  };
  const board = createBullBoard({
    queues: await adapters().catch(() => []),
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: 'Dockyard',
        hideDocsLink: true,
        theme: { light: SYSTEM_FONTS, dark: SYSTEM_FONTS },
        miscLinks: [
          { text: 'Workspaces', url: '/admin/workspaces' },
          { text: 'Hosts', url: '/admin/hosts' },
          { text: 'API docs', url: '/docs' },
        ],
      },
    },
  });
  // bull-board answers what it throws as `{ error: { key } }`: hand it to the app's error handler instead
  serverAdapter.setErrorHandler((err) => {
    throw err;
  });
  let refreshedAt = Date.now();
  app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith(QUEUE_UI_PATH) || Date.now() - refreshedAt < REFRESH_MS) return;
    refreshedAt = Date.now();
    await adapters()
      .then((list) => board.replaceQueues(list))
      .catch((err) => deps.log.warn({ err }, 'could not refresh the queue list of the queue UI'));
  });
  await app.register(async (scope) => {
    guardQueueUi(scope, {
      basePath: QUEUE_UI_PATH,
      deadLetterQueue: deps.queues.deadLetter.name,
      queueNamed: (name) => listed.find((q) => q.name === name)?.queue,
    });
    scope.addHook('onSend', async (_req, reply, payload) =>
      typeof payload === 'string' && isHtml(reply.getHeader('content-type')) ? payload.replace(OFF_SITE_LINK, '') : payload,
    );
    await scope.register(serverAdapter.registerPlugin());
  }, { prefix: QUEUE_UI_PATH });
}
