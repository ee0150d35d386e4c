import { z } from 'zod';
import {
  ConfigError,
  ConnectionEnv,
  HostName,
  PlacementEnv,
  RuntimeEnv,
  SecretsEnv,
  TimingEnv,
  checkTemplatesDir,
  loadRuntimesFile,
  parseEnv,
  toConnectionConfig,
  toSecretKeys,
  type ConnectionConfig,
  type PlacementStrategy,
  type RuntimesManifest,
  type SecretKeys,
} from '@dockyard/shared';

const WorkerEnv = ConnectionEnv.extend(TimingEnv.shape)
  .extend(RuntimeEnv.shape)
  .extend(PlacementEnv.shape)
  .extend(SecretsEnv.shape)
  .extend({
    HOST_NAME: HostName.default('local'),
    HOST_CAPACITY: z.coerce.number().int().min(1).default(100),
    HOST_LABELS: z.string().default(''),
    DOCKER_HOST: z
      .string()
      .regex(/^(unix|tcp|http):\/\//, 'must be unix:///path/to/socket or tcp://host:port')
      .default('unix:///var/run/docker.sock'),
    WORKSPACE_NETWORK: z.string().min(1).default('bridge'),
    DOCKER_LABELS: z.string().default(''),
    DOCKER_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
    DOCKER_LOCAL_VOLUMES: z.enum(['auto', 'off']).default('auto'),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(5),
    STOP_TIMEOUT_S: z.coerce.number().int().min(0).max(600).default(10),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
    WORKER_ROLES: z
      .string()
      .default('jobs,watcher,reconciler')
      .transform((v) => v.split(',').map((r) => r.trim()).filter(Boolean))
      .pipe(z.array(z.enum(['jobs', 'watcher', 'reconciler'])).min(1, 'name at least one of jobs, watcher, reconciler')),
    RECONCILE_REMOVE_ORPHANS: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
    RECONCILE_ADOPT_UNLABELLED: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
    RESCHEDULE_ON_HOST_LOSS: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
    DRAIN_PARALLEL: z.coerce.number().int().min(1).max(100).default(2),
  })
  .refine((e) => e.HOST_FENCE_AFTER_MS < e.HOST_LOST_AFTER_MS, {
    path: ['HOST_FENCE_AFTER_MS'],
    message: 'must be shorter than HOST_LOST_AFTER_MS: a cut-off host must stop its containers before others start copies',
  });

export interface WorkerConfig extends ConnectionConfig {
  timing: TimingEnv;
  runtimes: RuntimesManifest;
  templatesDir: string;
  dockerHost: string;
  network: string;
  /** DOCKER_LOCAL_VOLUMES=auto: read config volumes from the engine's folder when this process sees it */
  localVolumeReads: boolean;
  /** extra labels put on every Docker object Dockyard creates (e.g. an environment tag) */
  extraLabels: Record<string, string>;
  dockerTimeoutMs: number;
  concurrency: number;
  stopTimeoutS: number;
  shutdownTimeoutMs: number;
  /** what this process runs: lifecycle job workers, the Docker events watcher, the reconciler */
  roles: Array<'jobs' | 'watcher' | 'reconciler'>;
  removeOrphans: boolean;
  /** adopt managed containers that carry no installation label (an older Dockyard's) */
  adoptUnlabelled: boolean;
  /** the one Docker host this worker serves (its engine is DOCKER_HOST) */
  host: { name: string; capacity: number; labels: Record<string, string> };
  placement: PlacementStrategy;
  rescheduleOnHostLoss: boolean;
  /** how many workspaces of a draining host move at once */
  drainParallel: number;
  /** SECRETS_KEY (and SECRETS_KEY_PREVIOUS): opens the sealed env a container is made with */
  secretKeys: SecretKeys;
}

/** Validate the worker's environment once, at start. Throws ConfigError naming the variable at fault. */
export function loadConfig(env: Record<string, string | undefined>): WorkerConfig {
  const e = parseEnv(WorkerEnv, env);
  return {
    ...toConnectionConfig(e),
    timing: parseEnv(TimingEnv, env),
    runtimes: loadRuntimesFile(e.RUNTIMES_FILE),
    templatesDir: checkTemplatesDir(e.TEMPLATES_DIR),
    dockerHost: e.DOCKER_HOST,
    network: e.WORKSPACE_NETWORK,
    extraLabels: parseLabels('DOCKER_LABELS', e.DOCKER_LABELS),
    dockerTimeoutMs: e.DOCKER_TIMEOUT_MS,
    localVolumeReads: e.DOCKER_LOCAL_VOLUMES === 'auto',
    concurrency: e.WORKER_CONCURRENCY,
    stopTimeoutS: e.STOP_TIMEOUT_S,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    roles: e.WORKER_ROLES,
    removeOrphans: e.RECONCILE_REMOVE_ORPHANS,
    adoptUnlabelled: e.RECONCILE_ADOPT_UNLABELLED,
    host: { name: e.HOST_NAME, capacity: e.HOST_CAPACITY, labels: parseLabels('HOST_LABELS', e.HOST_LABELS) },
    placement: e.PLACEMENT,
    rescheduleOnHostLoss: e.RESCHEDULE_ON_HOST_LOSS,
    drainParallel: e.DRAIN_PARALLEL,
    secretKeys: toSecretKeys(e),
  };
}

function parseLabels(variable: string, text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new ConfigError(`${variable}: "${part}" is not key=value`);
    labels[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return labels;
}
