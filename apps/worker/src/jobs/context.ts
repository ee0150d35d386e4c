import type pg from 'pg';
import type { Job } from 'bullmq';
import type { Action, ActionKind, AttemptRecord, Endpoint, Fence, LifecycleJob, Logger, Queues, Released, SecretBox, Transition, WorkspaceRow } from '@dockyard/shared';
import type { WorkerConfig } from '../config.ts';
import type { WorkspaceDocker } from '../docker/workspace-docker.ts';
import type { WorkerMetrics } from '../metrics.ts';
import type { HeldWorkspaces } from './held.ts';

/** Long-lived dependencies of every job, passed explicitly (no module globals). */
export interface WorkerDeps {
  pool: pg.Pool;
  docker: WorkspaceDocker;
  queues: Queues;
  config: WorkerConfig;
  log: Logger;
  metrics: WorkerMetrics;
  /** opens the workspace's sealed env where its container is made (SECRETS_KEY, SECRETS_KEY_PREVIOUS) */
  secrets: SecretBox;
  /** the workspaces this process's jobs hold (claimed, not yet released), for the events watcher */
  held: HeldWorkspaces;
}

/** Every step of every job. The workspace's `step` column holds one of these while a job runs, `queued` while one waits, else null. */
export type StepName =
  | 'create-volume'
  | 'seed'
  | 'mark-provisioned'
  | 'create-container'
  | 'start'
  | 'wait-running'
  | 'stop-container'
  | 'preflight'
  | 'recover'
  | 'remove-container'
  | 'purge-volume'
  | 'export-volume'
  | 'remove-volume'
  | 're-place';

/** What steps hand to later steps, each field written by the step named beside it. */
export interface StepState {
  volumeCreated?: boolean; // create-volume
  template?: string; // seed
  seeded?: boolean; // seed
  hasConfig?: boolean; // preflight
  hasMarker?: boolean; // preflight
  branch?: string; // recover
  startedAt?: string; // wait-running
  exitedEarly?: boolean; // wait-running
  exitCode?: number | null; // wait-running
  endpoint?: Endpoint; // wait-running
  stopped?: boolean; // stop-container
  containerRemoved?: boolean; // remove-container
  volumePurged?: boolean; // purge-volume
  dataVolumesPurged?: string[]; // purge-volume
  exportedFiles?: number; // export-volume (null-free: 0 when there was no volume)
  volumeRemoved?: boolean; // remove-volume
  movedTo?: string | null; // re-place (null: waiting for a host)
  wantsRunning?: boolean; // re-place
}

/** The part of the state each job kind's steps write, so its `finish` reads nothing else. */
export interface StateKeys {
  provision: 'volumeCreated' | 'template' | 'seeded' | 'startedAt' | 'exitedEarly' | 'exitCode' | 'endpoint';
  restart: 'stopped' | 'hasConfig' | 'hasMarker' | 'branch' | 'startedAt' | 'exitedEarly' | 'exitCode' | 'endpoint';
  stop: 'stopped';
  remove: 'containerRemoved' | 'volumePurged' | 'dataVolumesPurged';
  move: 'stopped' | 'exportedFiles' | 'containerRemoved' | 'volumeRemoved' | 'movedTo' | 'wantsRunning';
}
export type StateOf<K extends ActionKind> = Pick<StepState, StateKeys[K]>;

/**
 * The steps finished so far and their state, so a re-run resumes where the job stopped: carried
 * in the job's progress as each step starts, and saved in its data by a failed attempt.
 */
export interface Checkpoint {
  done: StepName[];
  state: StepState;
}

/** A lifecycle job's data in BullMQ: the payload the API enqueued, plus what attempts wrote. */
export interface JobData extends LifecycleJob {
  checkpoint?: Checkpoint;
  attempts?: AttemptRecord[];
}
export interface JobResult {
  /** the status the job ended with, or `superseded` when a newer job took the workspace over */
  outcome: string;
}
export type LifecycleJobRun = Job<JobData, JobResult, ActionKind>;

/** Per-execution context handed to each step. */
export interface JobContext extends WorkerDeps {
  job: LifecycleJobRun;
  attempt: number;
  fence: Fence;
  workspace: WorkspaceRow;
  action: Action;
  /** fenced status write + event row; throws FencedError when superseded */
  transition(t: Transition): Promise<void>;
  /** the job's final transition, freeing its run slot in the same write: what waits behind it; throws FencedError when superseded */
  finish(t: Transition): Promise<Released>;
  /** fenced `step` update; throws FencedError when superseded */
  setStep(step: StepName | null): Promise<void>;
  /** an informational event row (from = to = current status) */
  note(message: string, cause: string): Promise<void>;
}

/** A named step; `Gives` are the state fields it writes. */
export interface Step<Gives extends keyof StepState = never> {
  name: StepName;
  /** run again on a retry or re-run even when a previous attempt finished it (cheap, idempotent checks of the outside world) */
  rerun?: boolean;
  run(ctx: JobContext, state: Readonly<StepState>): Promise<Pick<StepState, Gives> | void>;
}
