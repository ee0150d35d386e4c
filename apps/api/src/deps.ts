import type pg from 'pg';
import type { AnyRedis } from '@dockyard/shared';
import type { FreshRecorder, Logger, Queues, SecretBox, WorkspaceReader } from '@dockyard/shared';
import type { ApiConfig } from './config.ts';

/** What the API's routes need, built once by main.ts (or a test) and passed to buildApp. */
export interface ApiDeps {
  config: ApiConfig;
  pool: pg.Pool;
  queues: Queues;
  /** a plain client for readiness probes and counters (BullMQ keeps its own) */
  redis: AnyRedis;
  log: Logger;
  timing: ApiConfig['timing'];
  /** seals workspace env values (SECRETS_KEY) before they reach Postgres */
  secrets: SecretBox;
  /** how an automatic-restart report (POST /v1/events) reads its workspace first (buildApp makes a batching one when absent) */
  readWorkspace?: WorkspaceReader;
  /** an action request's first statement, read and common-case write (buildApp makes a batching one when absent) */
  recordFresh?: FreshRecorder;
}
