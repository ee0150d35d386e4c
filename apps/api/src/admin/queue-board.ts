import type { FastifyInstance } from 'fastify';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { ACTION_KINDS, type Queues } from '@dockyard/shared';

export const QUEUE_UI_PATH = '/admin/queues';

/** The bull-board URL of one job. */
export const queueUiJobUrl = (queueName: string, jobId: string) =>
  `${QUEUE_UI_PATH}/queue/${encodeURIComponent(queueName)}/${encodeURIComponent(jobId)}`;

/**
 * bull-board at /admin/queues over every Dockyard queue. Retry, promote and clean stay
 * available on the lifecycle queues; the dead-letter queue is read-only, because a replay
 * must go through POST /v1/dead-letters/:id/replay to keep the workspace row consistent.
 * Authentication is the app's onRequest hook (Bearer, or Basic with the token as password).
 */
export async function registerQueueBoard(app: FastifyInstance, queues: Queues) {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_UI_PATH);
  createBullBoard({
    queues: [
      ...ACTION_KINDS.map((k) => new BullMQAdapter(queues[k], { description: `${k} jobs` })),
      new BullMQAdapter(queues.deadLetter, {
        readOnlyMode: true,
        description: 'jobs that failed for good; replay with POST /v1/dead-letters/:id/replay',
      }),
    ],
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: 'Dockyard',
        hideDocsLink: true,
        miscLinks: [
          { text: 'Workspaces', url: '/admin/workspaces' },
          { text: 'API docs', url: '/docs' },
        ],
      },
    },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: QUEUE_UI_PATH });
}
