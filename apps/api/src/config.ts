import { z } from 'zod';
import { ConnectionEnv, PlacementEnv, SecretsEnv, TimingEnv, parseEnv, loadRuntimesFile, toConnectionConfig, toSecretKeys, type ConnectionConfig, type PlacementStrategy, type RuntimesManifest, type SecretKeys } from '@dockyard/shared';

const ApiEnv = ConnectionEnv.extend(TimingEnv.shape).extend(PlacementEnv.shape).extend(SecretsEnv.shape).extend({
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  API_TOKEN: z.string().min(32, 'must be at least 32 characters'),
  RUNTIMES_FILE: z.string().min(1),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(60_000),
  AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(0).default(30),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  WATCH_STREAMS_PER_CLIENT: z.coerce.number().int().min(1).max(10_000).default(10),
  WATCH_HEARTBEAT_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  WATCH_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
});

export interface ApiConfig extends ConnectionConfig {
  port: number;
  host: string;
  apiToken: string;
  timing: TimingEnv;
  runtimes: RuntimesManifest;
  /** requests a minute one client (IP) may make; 0 = no limit */
  rateLimitPerMinute: number;
  /** refused (401) requests a minute one client (IP) may make before all its requests get 429; 0 = no limit */
  authFailuresPerMinute: number;
  /** how long a client has to send a whole request, headers and body */
  requestTimeoutMs: number;
  placement: PlacementStrategy;
  /** SECRETS_KEY (and SECRETS_KEY_PREVIOUS): workspace env values are sealed with it */
  secretKeys: SecretKeys;
  /** GET /v1/watch: open streams per client (IP) in this process, heartbeat period, table poll period */
  watch: { streamsPerClient: number; heartbeatMs: number; pollMs: number };
}

/** Validate the API's environment once, at start. Throws ConfigError naming the variable at fault. */
export function loadConfig(env: Record<string, string | undefined>): ApiConfig {
  const e = parseEnv(ApiEnv, env);
  return {
    ...toConnectionConfig(e),
    port: e.PORT,
    host: e.HOST,
    apiToken: e.API_TOKEN,
    timing: parseEnv(TimingEnv, env),
    runtimes: loadRuntimesFile(e.RUNTIMES_FILE),
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    authFailuresPerMinute: e.AUTH_FAILURES_PER_MINUTE,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    placement: e.PLACEMENT,
    secretKeys: toSecretKeys(e),
    watch: { streamsPerClient: e.WATCH_STREAMS_PER_CLIENT, heartbeatMs: e.WATCH_HEARTBEAT_MS, pollMs: e.WATCH_POLL_MS },
  };
}
