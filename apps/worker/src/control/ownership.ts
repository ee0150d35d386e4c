import { adoptUnlabelled, existingWorkspaceIds, forgetUnlabelled, listUnlabelled, recordUnlabelled, type ActionDeps } from '@dockyard/shared';
import type { ManagedContainer } from '../docker/workspace-docker.ts';

export interface OwnershipDeps extends ActionDeps {
  installationId: string;
  /** the host whose engine is listed */
  host: string;
  /** RECONCILE_ADOPT_UNLABELLED: adopt every unlabelled managed container this installation sees */
  adoptUnlabelled: boolean;
}

export interface Ownership {
  /** containers this installation may act on */
  own: ManagedContainer[];
  /** unlabelled containers reported for the first time in this pass */
  reported: number;
  /** unlabelled containers adopted in this pass (by RECONCILE_ADOPT_UNLABELLED) */
  adopted: number;
}

/**
 * Which managed containers are this installation's: those with its installation label;
 * unlabelled ones (an older Dockyard's) whose workspace is in this installation's table;
 * and unlabelled ones an operator adopted. Another installation's are never ours. The
 * rest are reported once (and remembered in Postgres) and left alone.
 */
export async function sortByOwner(deps: OwnershipDeps, containers: ManagedContainer[]): Promise<Ownership> {
  // another host's containers (two hosts pointed at one engine) are that host's business
  containers = containers.filter((c) => c.host === undefined || c.host === deps.host);
  const mine = containers.filter((c) => c.installation === deps.installationId);
  const unlabelled = containers.filter((c) => c.installation === undefined);
  await forgetUnlabelled(deps.pool, unlabelled.map((c) => c.id));
  if (unlabelled.length === 0) return { own: mine, reported: 0, adopted: 0 };

  const ours = await existingWorkspaceIds(deps.pool, unlabelled.map((c) => c.workspaceId));
  const legacy = unlabelled.filter((c) => ours.has(c.workspaceId));
  const strangers = unlabelled.filter((c) => !ours.has(c.workspaceId));

  const fresh = await recordUnlabelled(
    deps.pool,
    strangers.map((c) => ({ dockerId: c.id, kind: 'container' as const, name: c.name, workspaceId: c.workspaceId || null })),
  );
  for (const o of fresh) {
    deps.log.warn(
      { container: o.name, dockerId: o.docker_id, workspaceId: o.workspace_id },
      'unlabelled managed container: no installation label and no workspace here; left alone until adopted',
    );
  }
  const adoptedNow = deps.adoptUnlabelled ? await adoptUnlabelled(deps.pool, 'RECONCILE_ADOPT_UNLABELLED') : [];
  for (const o of adoptedNow) {
    deps.log.warn({ container: o.name, dockerId: o.docker_id, workspaceId: o.workspace_id, by: o.adopted_by }, 'adopted unlabelled managed container');
  }
  const adopted = new Set((await listUnlabelled(deps.pool)).filter((r) => r.adopted_at).map((r) => r.docker_id));
  return {
    own: [...mine, ...legacy, ...strangers.filter((c) => adopted.has(c.id))],
    reported: fresh.length,
    adopted: adoptedNow.length,
  };
}
