import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { z } from 'zod';
import { jobIdOf } from './names.ts';
import type { TimingEnv } from './config.ts';
import type { ActionKind } from './actions.ts';
import { closeConnection } from './redis.ts';

/** Every lifecycle job's payload. */
export const LifecycleJob = z.object({
  workspaceId: z.uuid(),
  generation: z.number().int().positive(),
});
export type LifecycleJob = z.infer<typeof LifecycleJob>;

/** The job catalog: the API enqueues through it, the worker consumes through it (one queue per kind and host). */
export const catalog = {
  provision: { schema: LifecycleJob },
  restart: { schema: LifecycleJob },
  stop: { schema: LifecycleJob },
  remove: { schema: LifecycleJob },
  move: { schema: LifecycleJob },
} as const satisfies Record<ActionKind, { schema: typeof LifecycleJob }>;

export const DEAD_LETTER_QUEUE = 'dead-letter';
export const ACTION_KINDS = Object.keys(catalog) as ActionKind[];

/** Retry policy, in one place: exponential backoff with jitter. */
export function jobOptionsFor(
  timing: TimingEnv,
  workspaceId: string,
  generation: number,
  priority?: number,
  delayMs?: number,
): JobsOptions {
  return {
    jobId: jobIdOf(workspaceId, generation),
    delay: delayMs && delayMs > 0 ? delayMs : undefined,
    attempts: timing.RETRY_ATTEMPTS,
    backoff: { type: 'exponential', delay: timing.RETRY_BASE_DELAY_MS, jitter: 0.5 },
    priority,
    removeOnComplete: { age: 7 * 24 * 3600, count: 5_000 },
    removeOnFail: { age: 14 * 24 * 3600, count: 5_000 },
  };
}

/** A lifecycle queue per host and kind: a host's workers consume only its own. */
export const queueNameOf = (kind: ActionKind, host: string): string => `${kind}@${host}`;

/**
 * The BullMQ prefix of one queue: QUEUE_PREFIX plus the queue's name as a hash tag, so all of
 * that queue's keys share one Redis Cluster slot (BullMQ's requirement), while different
 * queues spread over the cluster. Workers must use the same prefix as the queue.
 */
export const queuePrefixOf = (prefix: string, queueName: string): string => `${prefix}:{${queueName}}`;

export type LifecycleQueues = Record<ActionKind, Queue>;

export interface Queues {
  /** the lifecycle queues of one host (made on first use, then kept) */
  of(host: string): LifecycleQueues;
  /** the hosts whose queues were made so far */
  hosts(): string[];
  deadLetter: Queue;
  close(): Promise<void>;
}

export function makeQueues(connection: ConnectionOptions, prefix: string, onError?: (err: Error) => void): Queues {
  const make = (name: string) => {
    const queue = new Queue(name, { connection, prefix: queuePrefixOf(prefix, name) });
    // without a listener BullMQ prints connection errors to stderr; callers log them instead
    if (onError) queue.on('error', onError);
    return queue;
  };
  const byHost = new Map<string, LifecycleQueues>();
  const deadLetter = make(DEAD_LETTER_QUEUE);
  return {
    of(host) {
      let queues = byHost.get(host);
      if (!queues) {
        queues = Object.fromEntries(ACTION_KINDS.map((k) => [k, make(queueNameOf(k, host))])) as LifecycleQueues;
        byHost.set(host, queues);
      }
      return queues;
    },
    hosts: () => [...byHost.keys()],
    deadLetter,
    async close() {
      await Promise.all([...[...byHost.values()].flatMap((q) => Object.values(q)), deadLetter].map((q) => q.close()));
      await closeConnection(connection);
    },
  };
}

/** Add the job for a queued workspace action; the id is deterministic, so adding twice is harmless. */
export async function enqueueAction(
  queues: Queues,
  timing: TimingEnv,
  job: { workspaceId: string; host: string; generation: number; kind: ActionKind; priority?: number; delayMs?: number },
): Promise<string> {
  const opts = jobOptionsFor(timing, job.workspaceId, job.generation, job.priority, job.delayMs);
  await queues.of(job.host)[job.kind].add(job.kind, { workspaceId: job.workspaceId, generation: job.generation }, opts);
  return opts.jobId!;
}
