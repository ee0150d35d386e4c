import type { FastifyInstance } from 'fastify';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { ApiDeps } from '../deps.ts';
import { fleetQueues } from '../fleet-queues.ts';

export const QUEUE_UI_PATH = '/admin/queues';

/** The bull-board URL of one job. */
export const queueUiJobUrl = (queueName: string, jobId: string) =>
  `${QUEUE_UI_PATH}/queue/${encodeURIComponent(queueName)}/${encodeURIComponent(jobId)}`;

/** How often the board looks for hosts that joined the fleet. */
const REFRESH_MS = 5_000;

/**
 * bull-board at /admin/queues over every Dockyard queue: each host's lifecycle queues
 * (`<kind>@<host>`, the list follows the hosts table) and the dead-letter queue. Retry,
 * promote and clean stay available on the lifecycle queues; the dead-letter queue is
 * read-only, because a replay must go through POST /v1/dead-letters/:id/replay to keep the
 * workspace row consistent. Authentication is the app's onRequest hook (Bearer, or Basic
 * with the token as password).
 */
export async function registerQueueBoard(app: FastifyInstance, deps: ApiDeps) {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_UI_PATH);
  const adapters = async () =>
    (await fleetQueues(deps)).map(({ name, host, queue }) =>
      host
        ? new BullMQAdapter(queue, { description: `${name.slice(0, name.indexOf('@'))} jobs of host ${host}` })
        : new BullMQAdapter(queue, { readOnlyMode: true, description: 'jobs that failed for good; replay with POST /v1/dead-letters/:id/replay' }),
    );
  const board = createBullBoard({
    queues: await adapters().catch(() => []),
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: 'Dockyard',
        hideDocsLink: true,
        miscLinks: [
          { text: 'Workspaces', url: '/admin/workspaces' },
          { text: 'Hosts', url: '/admin/hosts' },
          { text: 'API docs', url: '/docs' },
        ],
      },
    },
  });
  let refreshedAt = Date.now();
  app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith(QUEUE_UI_PATH) || Date.now() - refreshedAt < REFRESH_MS) return;
    refreshedAt = Date.now();
    await adapters()
      .then((list) => board.replaceQueues(list))
      .catch((err) => deps.log.warn({ err }, 'could not refresh the queue list of the queue UI'));
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: QUEUE_UI_PATH });
}
