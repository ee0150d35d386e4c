import { requestAction, type Action, type RequestResult } from '@dockyard/shared';
import type { ApiDeps } from '../deps.ts';

/** The actions the admin pages offer on a workspace. */
export const UI_ACTIONS = ['restart', 'restart-template', 'start', 'stop', 'delete', 'purge'] as const;
export type UiAction = (typeof UI_ACTIONS)[number];

/**
 * Each UI action as the request the API would record for it (same `requestAction` intent
 * path, same options); its cause says it came from the admin pages. `start` is a restart: a
 * restart sets the desired state `running`, which is how a paused workspace starts again.
 */
export const uiActions: Record<UiAction, { label: string; action: Action; resetCrashLoop: boolean; confirm: boolean }> = {
  restart: { label: 'restart', action: { kind: 'restart', cause: 'ui: restart', applyTemplate: false, auto: false }, resetCrashLoop: true, confirm: false },
  'restart-template': {
    label: 'restart with template',
    action: { kind: 'restart', cause: 'ui: restart with template', applyTemplate: true, auto: false },
    resetCrashLoop: true,
    confirm: false,
  },
  start: { label: 'start', action: { kind: 'restart', cause: 'ui: start', applyTemplate: false, auto: false }, resetCrashLoop: true, confirm: false },
  stop: { label: 'stop', action: { kind: 'stop', cause: 'ui: stop' }, resetCrashLoop: false, confirm: false },
  delete: { label: 'delete', action: { kind: 'remove', cause: 'ui: delete', purge: false }, resetCrashLoop: false, confirm: true },
  purge: { label: 'delete and purge config volume', action: { kind: 'remove', cause: 'ui: delete (purge)', purge: true }, resetCrashLoop: false, confirm: true },
};

/** What happened to one workspace, in words for the flash message. */
function describe(result: RequestResult, id: string, label: string): string {
  switch (result.kind) {
    case 'accepted':
      return `${label} of ${result.workspace.name} requested (job ${result.jobId}${result.coalesced ? ', merged into the waiting one' : ''})`;
    case 'removed':
      return `${label} of ${result.workspace.name} refused: the workspace is removed`;
    case 'not-found':
      return `${label} refused: no workspace ${id}`;
  }
}

/** Request `what` for each workspace, one after another; the flash lines of what happened. */
export async function requestUiAction(deps: ApiDeps, ids: string[], what: UiAction): Promise<string[]> {
  const { label, action, resetCrashLoop } = uiActions[what];
  const lines: string[] = [];
  for (const id of ids) {
    const result = await requestAction(deps, id, action, { resetCrashLoop });
    lines.push(describe(result, id, label));
  }
  return lines;
}
