import { withTransaction } from './db/pool.ts';
import { lockWorkspace, setWorkspaceEnv, type WorkspaceRow } from './db/workspaces.ts';
import { resetCrashLoop } from './db/workspace-status.ts';
import { insertNote } from './db/events.ts';
import { enqueueOrDefer, queueAction, type ActionDeps, type PendingEnqueue } from './request-action.ts';
import type { SecretBox } from './secrets.ts';
import { openWorkspaceEnv, sealEnv } from './workspace-env.ts';

/** At most this many env variables per workspace (the create request's limit too). */
export const MAX_ENV_VARS = 200;
/** How many names an event row lists before it says "and N more". */
const LISTED_NAMES = 20;

/**
 * A JSON Merge Patch (RFC 7396) of a workspace: `env` members set (a string) or remove (null) one
 * variable, `env: null` removes them all; `name` renames. `restart` says whether to queue a restart
 * that applies the change.
 */
export interface WorkspacePatch {
  name?: string;
  env?: Record<string, string | null> | null;
  restart: boolean;
}

export type PatchResult =
  | { kind: 'not-found' }
  | { kind: 'removed'; workspace: WorkspaceRow }
  | { kind: 'invalid'; message: string }
  | { kind: 'patched'; workspace: WorkspaceRow; jobId: string | null; coalesced: boolean };

/** The env after a merge patch, and the names it set and removed. */
export function mergeEnvPatch(current: Record<string, string>, patch: Record<string, string | null> | null) {
  if (patch === null) return { env: {}, set: [], removed: Object.keys(current).sort() };
  const env = { ...current };
  const set: string[] = [];
  const removed: string[] = [];
  for (const [name, value] of Object.entries(patch)) {
    if (value !== null) {
      env[name] = value;
      set.push(name);
    } else if (name in env) {
      delete env[name];
      removed.push(name);
    }
  }
  return { env, set: set.sort(), removed: removed.sort() };
}

const listNames = (names: string[]) =>
  names.length > LISTED_NAMES ? `${names.slice(0, LISTED_NAMES).join(', ')} and ${names.length - LISTED_NAMES} more` : names.join(', ');

/** What the event row says: names only, never a value. */
function describeChange(change: { set: string[]; removed: string[] } | undefined, rename: { from: string; to: string } | undefined): string {
  const parts: string[] = [];
  if (change) {
    const what = [change.set.length ? `set ${listNames(change.set)}` : '', change.removed.length ? `removed ${listNames(change.removed)}` : ''].filter(Boolean);
    parts.push(`env changed: ${what.join('; ') || 'nothing'}`);
  }
  if (rename) parts.push(`name changed from ${JSON.stringify(rename.from)} to ${JSON.stringify(rename.to)}`);
  return parts.join('; ');
}

/**
 * Record a patch and, when asked, the restart that applies it, in one transaction (the row
 * locked): the new env sealed, an event row naming what changed, and a restart queued like an
 * operator's (merged into a waiting one; the crash-loop count reset). The job is enqueued after commit.
 */
export async function patchWorkspace(deps: ActionDeps & { secrets: SecretBox }, workspaceId: string, patch: WorkspacePatch): Promise<PatchResult> {
  let pending: PendingEnqueue | undefined;
  const result = await withTransaction(deps.pool, async (client): Promise<PatchResult> => {
    const row = await lockWorkspace(client, workspaceId);
    if (!row) return { kind: 'not-found' };
    if (row.status === 'removed') return { kind: 'removed', workspace: row };
    const change = patch.env !== undefined ? mergeEnvPatch(openWorkspaceEnv(deps.secrets, row), patch.env) : undefined;
    if (change && Object.keys(change.env).length > MAX_ENV_VARS) {
      return { kind: 'invalid', message: `at most ${MAX_ENV_VARS} env variables: the patch would leave ${Object.keys(change.env).length}` };
    }
    const rename = patch.name !== undefined && patch.name !== row.name ? { from: row.name, to: patch.name } : undefined;
    const env = change
      ? sealEnv(deps.secrets, workspaceId, change.env)
      : Object.keys(row.env).length > 0
        ? sealEnv(deps.secrets, workspaceId, openWorkspaceEnv(deps.secrets, row)) // an older Dockyard's env in clear: sealed now
        : { sealed: row.env_sealed, names: row.env_names };
    let workspace = await setWorkspaceEnv(client, workspaceId, { env, name: rename?.to });
    let jobId: string | null = null;
    let coalesced = false;
    if (patch.restart) {
      await resetCrashLoop(client, workspaceId);
      const cause = change ? 'api: patch (env changed)' : 'api: patch';
      const queued = await queueAction(client, workspace, { kind: 'restart', cause, applyTemplate: false, auto: false });
      ({ workspace, jobId, coalesced } = queued);
      pending = queued.pending;
    }
    await insertNote(client, { workspaceId, cause: 'api: patch', jobId, message: describeChange(change, rename) || 'nothing changed' });
    return { kind: 'patched', workspace, jobId, coalesced };
  });
  if (pending) await enqueueOrDefer(deps, pending);
  return result;
}
