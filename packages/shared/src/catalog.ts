import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { z } from 'zod';
import { jobIdOf } from './names.ts';
import type { TimingEnv } from './config.ts';

/**
 * What a request asks of a workspace. The intent lives in Postgres
 * (`workspaces.queued_action` / `running_action`); a BullMQ job only says
 * "run the action queued for this workspace generation".
 */
const cause = z.string().min(1).max(600);
export const ProvisionAction = z.object({ kind: z.literal('provision'), cause });
export const RestartAction = z.object({
  kind: z.literal('restart'),
  cause,
  applyTemplate: z.boolean().default(false),
  reason: z.string().max(500).optional(),
  auto: z.boolean().default(false),
});
export const StopAction = z.object({ kind: z.literal('stop'), cause });
export const RemoveAction = z.object({ kind: z.literal('remove'), cause, purge: z.boolean().default(false) });
export const Action = z.discriminatedUnion('kind', [ProvisionAction, RestartAction, StopAction, RemoveAction]);
export type Action = z.infer<typeof Action>;
export type ActionKind = Action['kind'];

/** Every lifecycle job's payload. */
export const LifecycleJob = z.object({
  workspaceId: z.uuid(),
  generation: z.number().int().positive(),
});
export type LifecycleJob = z.infer<typeof LifecycleJob>;

/** The queue catalog: the API enqueues through it, the worker consumes through it. */
export const catalog = {
  provision: { queue: 'provision', schema: LifecycleJob },
  restart: { queue: 'restart', schema: LifecycleJob },
  stop: { queue: 'stop', schema: LifecycleJob },
  remove: { queue: 'remove', schema: LifecycleJob },
} as const satisfies Record<ActionKind, { queue: string; schema: typeof LifecycleJob }>;

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

export type Queues = Record<ActionKind, Queue> & { deadLetter: Queue; close(): Promise<void> };

export function makeQueues(connection: ConnectionOptions, prefix: string, onError?: (err: Error) => void): Queues {
  const make = (name: string) => {
    const queue = new Queue(name, { connection, prefix });
    // without a listener BullMQ prints connection errors to stderr; callers log them instead
    if (onError) queue.on('error', onError);
    return queue;
  };
  const lifecycle = Object.fromEntries(ACTION_KINDS.map((k) => [k, make(catalog[k].queue)])) as Record<ActionKind, Queue>;
  const deadLetter = make(DEAD_LETTER_QUEUE);
  return {
    ...lifecycle,
    deadLetter,
    async close() {
      await Promise.all([...Object.values(lifecycle), deadLetter].map((q) => q.close()));
    },
  };
}

/** Add the job for a queued workspace action; the id is deterministic, so adding twice is harmless. */
export async function enqueueAction(
  queues: Queues,
  timing: TimingEnv,
  job: { workspaceId: string; generation: number; kind: ActionKind; priority?: number; delayMs?: number },
): Promise<string> {
  const opts = jobOptionsFor(timing, job.workspaceId, job.generation, job.priority, job.delayMs);
  await queues[job.kind].add(job.kind, { workspaceId: job.workspaceId, generation: job.generation }, opts);
  return opts.jobId!;
}

/** Merge a new request into the one already waiting: the latest intent wins, remove beats all. */
export function mergeActions(queued: Action, incoming: Action): Action {
  if (queued.kind === 'remove') {
    return incoming.kind === 'remove' ? { ...queued, purge: queued.purge || incoming.purge } : queued;
  }
  if (incoming.kind === 'restart') {
    if (queued.kind === 'provision') return queued;
    if (queued.kind === 'restart') {
      return {
        ...incoming,
        applyTemplate: queued.applyTemplate || incoming.applyTemplate,
        reason: incoming.reason ?? queued.reason,
        auto: queued.auto && incoming.auto,
        cause: queued.auto && !incoming.auto ? incoming.cause : queued.cause,
      };
    }
  }
  return incoming;
}
