import type { Action, ActionKind, Transition, WorkspaceRow, WorkspaceStatus } from '@dockyard/shared';
import type { StateKeys, StateOf, Step, StepState } from './context.ts';
import { createVolume } from './steps/create-volume.ts';
import { seed } from './steps/seed.ts';
import { markProvisioned } from './steps/mark-provisioned.ts';
import { preflight } from './steps/preflight.ts';
import { recover } from './steps/recover.ts';
import { createContainer } from './steps/create-container.ts';
import { startContainer } from './steps/start.ts';
import { waitRunning } from './steps/wait-running.ts';
import { stopContainer } from './steps/stop-container.ts';
import { removeContainer } from './steps/remove-container.ts';
import { purgeVolume } from './steps/purge-volume.ts';
import { exportVolume } from './steps/export-volume.ts';
import { removeVolume } from './steps/remove-volume.ts';
import { rePlace } from './steps/re-place.ts';

/** The transition that ends a job (its cause is the action's). */
export type FinalTransition = Omit<Transition, 'cause'>;

/**
 * Each lifecycle job as a short list of named steps: the status it enters, the
 * steps, and the transition that ends it.
 */
export interface JobDefinition<K extends ActionKind> {
  /** status written when the job starts (unless the workspace is already in it) */
  enters?: WorkspaceStatus;
  steps: ReadonlyArray<Step<StateKeys[K]> | Step>;
  finish(state: StateOf<K>): FinalTransition;
}

/** The container started and died at once: the job ends `offline` and auto-restart takes over. */
const exitedEarly = (s: Pick<StepState, 'exitedEarly' | 'exitCode'>): FinalTransition | undefined =>
  s.exitedEarly ? { to: 'offline', message: `container exited right after start (exit code ${s.exitCode})` } : undefined;

export const jobDefinitions: { [K in ActionKind]: JobDefinition<K> } = {
  provision: {
    enters: 'provisioning',
    steps: [createVolume, seed, markProvisioned, createContainer, startContainer, waitRunning],
    finish: (s) =>
      exitedEarly(s) ?? {
        to: 'online',
        message: s.seeded ? `provisioned from ${s.template}` : 'provisioned (volume already populated)',
        endpoint: s.endpoint,
      },
  },
  restart: {
    enters: 'provisioning',
    steps: [stopContainer, preflight, recover, createContainer, startContainer, waitRunning],
    finish: (s) => exitedEarly(s) ?? { to: 'online', message: `restarted: ${s.branch}`, endpoint: s.endpoint },
  },
  stop: {
    steps: [stopContainer],
    finish: (s) => ({ to: 'paused', message: s.stopped ? 'container stopped' : 'container was not running' }),
  },
  remove: {
    steps: [removeContainer, purgeVolume],
    finish: (s) => ({
      to: 'removed',
      allowRemoved: true,
      message: `${s.containerRemoved ? 'container removed' : 'no container'}; ${s.volumePurged ? 'config volume purged' : 'config volume kept'}${
        s.dataVolumesPurged?.length ? `; data volumes purged: ${s.dataVolumesPurged.join(', ')}` : ''
      }`,
    }),
  },
  move: {
    // stopped and gone from the old host before anything starts on the new one: never two copies
    steps: [stopContainer, exportVolume, removeContainer, removeVolume, rePlace],
    finish: (s) => ({
      to: s.wantsRunning ? 'provisioning' : 'paused',
      message: `moved ${s.movedTo ? `to ${s.movedTo}` : 'off its host; waiting for another'} (config copied: ${s.exportedFiles ?? 0} files)`,
    }),
  },
};

/** The status a job enters when it starts (unless the workspace is in it already), naming its first step. */
export function enteringTransition(row: WorkspaceRow, action: Action): Transition | undefined {
  const definition = jobDefinitions[action.kind] as JobDefinition<typeof action.kind>;
  if (!definition.enters || row.status === definition.enters) return undefined;
  return { to: definition.enters, cause: action.cause, step: definition.steps[0]?.name ?? null, extra: { provisionStarted: true } };
}
