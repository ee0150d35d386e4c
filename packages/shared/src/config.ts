import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { RuntimesManifest } from './runtimes.ts';
import { SecretKeyText, type SecretKeys } from './secrets.ts';

/** Thrown by loadConfig; main.ts prints it and exits 1. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

/** Connections every process needs. */
export const ConnectionEnv = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  REDIS_URL: z.string().regex(/^rediss?(\+cluster)?:\/\//, 'must be a redis:// URL (or redis+cluster://host:port,host:port for a Redis Cluster)'),
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, - and _ only').default('dockyard'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: bool(false),
});

/** Timing knobs shared by the API (enqueue options) and the worker. Production defaults. */
export const TimingEnv = z.object({
  RETRY_ATTEMPTS: int(5, 1),
  RETRY_BASE_DELAY_MS: int(2_000, 1),
  PROVISION_TIMEOUT_MS: int(120_000, 100),
  // a killed worker's job runs again within ~12 s: its BullMQ lock expires (at most 8 s after the
  // kill), the next stalled check (every 4 s) re-queues it, and its lease (8 s) has run out by then
  LEASE_MS: int(8_000, 500),
  JOB_LOCK_MS: int(8_000, 500),
  STALLED_INTERVAL_MS: int(4_000, 500),
  // crash-loop backoff, Kubernetes' numbers: at once, then 10 s, 20 s, 40 s … capped at 5 min
  CRASH_BACKOFF_BASE_MS: int(10_000, 1),
  CRASH_BACKOFF_MAX_MS: int(300_000, 1),
  CRASH_RESET_AFTER_MS: int(600_000, 1),
  CRASH_LOOP_LIMIT: int(10, 1),
  CRASH_LOOP_WINDOW_MS: int(3_600_000, 1),
  RECONCILE_INTERVAL_MS: int(30_000, 100),
  LEADER_TTL_MS: int(15_000, 300),
  RESTART_RATE_PER_SEC: int(5, 1),
  RESTART_CONCURRENCY: int(10, 1),
  // the fleet: how often a host's workers report that they are alive; after how long without a
  // report a worker stops its own containers (fence), and the others count the host as lost
  HOST_HEARTBEAT_MS: int(5_000, 100),
  HOST_FENCE_AFTER_MS: int(10_000, 300),
  HOST_LOST_AFTER_MS: int(20_000, 500),
});

/** Where a new workspace goes: the emptiest fitting host (`spread`) or the fullest with room (`binpack`). */
export const PlacementEnv = z.object({
  PLACEMENT: z.enum(['spread', 'binpack']).default('spread'),
});

/** The key workspace env values are sealed with, and the one it replaced (still opened during a rotation). */
export const SecretsEnv = z.object({
  SECRETS_KEY: SecretKeyText,
  SECRETS_KEY_PREVIOUS: SecretKeyText.optional(),
});
export type SecretsEnv = z.infer<typeof SecretsEnv>;

export const toSecretKeys = (e: SecretsEnv): SecretKeys => ({ current: e.SECRETS_KEY, previous: e.SECRETS_KEY_PREVIOUS });

export const RuntimeEnv = z.object({
  RUNTIMES_FILE: z.string().min(1),
  TEMPLATES_DIR: z.string().min(1),
});

export type ConnectionEnv = z.infer<typeof ConnectionEnv>;
export type TimingEnv = z.infer<typeof TimingEnv>;

/** The connection part of every app's config. */
export interface ConnectionConfig {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  logLevel: string;
  logPretty: boolean;
}

/** Map parsed ConnectionEnv variables to the config fields every app shares. */
export function toConnectionConfig(e: ConnectionEnv): ConnectionConfig {
  return {
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    queuePrefix: e.QUEUE_PREFIX,
    logLevel: e.LOG_LEVEL,
    logPretty: e.LOG_PRETTY,
  };
}

/** Parse env with a schema; a bad value becomes one ConfigError naming every variable at fault. */
export function parseEnv<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.infer<S> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}

/** Read and validate RUNTIMES_FILE. */
export function loadRuntimesFile(file: string): RuntimesManifest {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`RUNTIMES_FILE: cannot read ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new ConfigError(`RUNTIMES_FILE: ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = RuntimesManifest.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`RUNTIMES_FILE: ${file} is not a valid manifest:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** TEMPLATES_DIR must be a readable directory. */
export function checkTemplatesDir(dir: string): string {
  try {
    if (statSync(dir).isDirectory()) return dir;
  } catch {
    /* fall through */
  }
  throw new ConfigError(`TEMPLATES_DIR: ${dir} is not a directory`);
}
