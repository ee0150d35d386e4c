import { z } from 'zod';

/**
 * An *action* is what a request asks of a workspace: provision, restart, stop or remove,
 * with its options. It is recorded in Postgres (`workspaces.queued_action`, then
 * `running_action`); a BullMQ *job* of the same kind runs it.
 */
const cause = z.string().min(1).max(600);
export const ProvisionAction = z.object({ kind: z.literal('provision'), cause });
export const RestartAction = z.object({
  kind: z.literal('restart'),
  cause,
  applyTemplate: z.boolean().default(false),
  reason: z.string().max(500).optional(),
  auto: z.boolean().default(false),
  /** set when the workspace was re-placed after its host was lost: the host it came from */
  movedFrom: z.string().optional(),
});
export const StopAction = z.object({ kind: z.literal('stop'), cause });
export const RemoveAction = z.object({ kind: z.literal('remove'), cause, purge: z.boolean().default(false) });
/** Move the workspace off its host (a drain): stop it, copy its config volume out, re-place it. */
export const MoveAction = z.object({ kind: z.literal('move'), cause });
export const Action = z.discriminatedUnion('kind', [ProvisionAction, RestartAction, StopAction, RemoveAction, MoveAction]);
export type Action = z.infer<typeof Action>;
export type ActionKind = Action['kind'];
export type RestartAction = z.infer<typeof RestartAction>;

function assertNever(x: never): never {
  throw new Error(`unhandled action: ${JSON.stringify(x)}`);
}

/** Two restarts become one: the template is applied if either asked, an operator's request wins over an automatic one. */
function mergeRestarts(queued: RestartAction, incoming: RestartAction): RestartAction {
  return {
    ...incoming,
    applyTemplate: queued.applyTemplate || incoming.applyTemplate,
    reason: incoming.reason ?? queued.reason,
    movedFrom: incoming.movedFrom ?? queued.movedFrom,
    auto: queued.auto && incoming.auto,
    cause: queued.auto && !incoming.auto ? incoming.cause : queued.cause,
  };
}

/**
 * Merge a request into the action already waiting for the workspace: remove beats all;
 * a restart folds into a waiting provision, restart or move (the same job runs it, and a
 * move ends with a restart on the new host); otherwise the latest request wins.
 * Exhaustive over the kinds: a new kind fails to compile here.
 */
export function mergeActions(queued: Action, incoming: Action): Action {
  switch (queued.kind) {
    case 'remove':
      return incoming.kind === 'remove' ? { ...queued, purge: queued.purge || incoming.purge } : queued;
    case 'provision':
      return incoming.kind === 'restart' ? queued : incoming;
    case 'restart':
      return incoming.kind === 'restart' ? mergeRestarts(queued, incoming) : incoming;
    case 'stop':
      return incoming;
    case 'move':
      return incoming.kind === 'restart' || incoming.kind === 'move' ? queued : incoming;
    default:
      return assertNever(queued);
  }
}
