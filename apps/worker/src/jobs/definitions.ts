import type { ActionKind, Transition, WorkspaceStatus } from '@dockyard/shared';
import type { Step, StepState } from './context.ts';
import { createVolume } from './steps/volume.ts';
import { markProvisioned, seed } from './steps/seed.ts';
import { preflight } from './steps/preflight.ts';
import { recover } from './steps/recover.ts';
import { createContainer, purgeVolume, removeContainer, startContainer, stopContainer, waitRunning } from './steps/container.ts';

/**
 * Each lifecycle job as a short list of named steps: the status it enters, the
 * steps, and the transition that ends it.
 */
export interface JobDefinition {
  /** status written when the job starts (unless the workspace is already in it) */
  enters?: WorkspaceStatus;
  steps: Step[];
  finish(state: StepState): Omit<Transition, 'cause'>;
}

/** The container started and died at once: the job ends `offline` and auto-restart takes over. */
const exitedEarly = (s: StepState): Omit<Transition, 'cause'> | undefined =>
  s.exitedEarly ? { to: 'offline', message: `container exited right after start (exit code ${s.exitCode})` } : undefined;

export const jobDefinitions: Record<ActionKind, JobDefinition> = {
  provision: {
    enters: 'provisioning',
    steps: [createVolume, seed, markProvisioned, createContainer, startContainer, waitRunning],
    finish: (s) =>
      exitedEarly(s) ?? { to: 'online', message: s.seeded ? `provisioned from ${s.template}` : 'provisioned (volume already populated)' },
  },
  restart: {
    enters: 'provisioning',
    steps: [stopContainer, preflight, recover, createContainer, startContainer, waitRunning],
    finish: (s) => exitedEarly(s) ?? { to: 'online', message: `restarted: ${s.branch}` },
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
      message: `${s.containerRemoved ? 'container removed' : 'no container'}; ${s.volumePurged ? 'config volume purged' : 'config volume kept'}`,
    }),
  },
};
