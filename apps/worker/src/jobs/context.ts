import type pg from 'pg';
import type { Job } from 'bullmq';
import type { Action, Fence, Logger, Queues, Transition, WorkspaceRow } from '@dockyard/shared';
import type { WorkerConfig } from '../config.ts';
import type { WorkspaceDocker } from '../docker/workspace-docker.ts';
import type { WorkerMetrics } from '../metrics.ts';

/** Long-lived dependencies of every job, passed explicitly (no module globals). */
export interface WorkerDeps {
  pool: pg.Pool;
  docker: WorkspaceDocker;
  queues: Queues;
  config: WorkerConfig;
  log: Logger;
  metrics: WorkerMetrics;
}

/** Per-execution context handed to each step. */
export interface JobContext extends WorkerDeps {
  job: Job;
  attempt: number;
  fence: Fence;
  workspace: WorkspaceRow;
  action: Action;
  /** fenced status write + event row; throws FencedError when superseded */
  transition(t: Transition): Promise<void>;
  /** fenced `step` update; throws FencedError when superseded */
  setStep(step: string | null): Promise<void>;
  /** an informational event row (from = to = current status) */
  note(message: string, cause: string): Promise<void>;
}

/** Values steps hand to later steps; saved in the job's data so a retry resumes where it stopped. */
export type StepState = Record<string, string | boolean | number | null>;

export interface Step {
  name: string;
  /** run again on a retry or re-run even when a previous attempt finished it (cheap, idempotent checks of the outside world) */
  rerun?: boolean;
  run(ctx: JobContext, state: StepState): Promise<StepState | void>;
}
