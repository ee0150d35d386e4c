import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@dockyard/shared';
import { loadConfig as loadApiConfig } from '../apps/api/src/config.ts';
import { loadConfig as loadWorkerConfig } from '../apps/worker/src/config.ts';
import { REPO } from './helpers/stack.ts';

const dir = mkdtempSync(join(tmpdir(), 'dockyard-config-'));
const manifest = (json: unknown) => {
  const file = join(dir, `runtimes-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof json === 'string' ? json : JSON.stringify(json));
  return file;
};
const good = {
  DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
  REDIS_URL: 'redis://127.0.0.1:6379',
  API_TOKEN: 't'.repeat(32),
  RUNTIMES_FILE: manifest({ runtimes: { 'claude-code': { image: 'x:1', cmd: ['a'], memoryMb: 512 } } }),
  TEMPLATES_DIR: dir,
  SECRETS_KEY: 'a'.repeat(64),
};

const configError = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('configuration is validated at start', () => {
  it('accepts a good environment and applies production defaults', () => {
    const api = loadApiConfig(good);
    expect(api).toMatchObject({ port: 8080, host: '127.0.0.1', queuePrefix: 'dockyard', authFailuresPerMinute: 30, requestTimeoutMs: 30_000 });
    expect(api.timing).toMatchObject({ RETRY_ATTEMPTS: 5, LEASE_MS: 8_000, JOB_LOCK_MS: 8_000, STALLED_INTERVAL_MS: 4_000 });
    const worker = loadWorkerConfig(good);
    expect(worker).toMatchObject({ dockerHost: 'unix:///var/run/docker.sock', network: 'bridge', extraLabels: {} });
    expect(worker.runtimes.runtimes['claude-code']?.memoryMb).toBe(512);
  });

  it('names each variable at fault', () => {
    expect(configError(() => loadApiConfig({ ...good, API_TOKEN: 'short' }))).toContain('API_TOKEN');
    expect(configError(() => loadApiConfig({ ...good, DATABASE_URL: 'mysql://x' }))).toContain('DATABASE_URL');
    expect(configError(() => loadApiConfig({ ...good, REDIS_URL: undefined }))).toContain('REDIS_URL');
    expect(configError(() => loadApiConfig({ ...good, PORT: 'eighty' }))).toContain('PORT');
    expect(configError(() => loadApiConfig({ ...good, AUTH_FAILURES_PER_MINUTE: '-1' }))).toContain('AUTH_FAILURES_PER_MINUTE');
    expect(configError(() => loadApiConfig({ ...good, REQUEST_TIMEOUT_MS: '10' }))).toContain('REQUEST_TIMEOUT_MS');
    expect(configError(() => loadWorkerConfig({ ...good, RETRY_ATTEMPTS: '0' }))).toContain('RETRY_ATTEMPTS');
    expect(configError(() => loadWorkerConfig({ ...good, DOCKER_HOST: 'ftp://x' }))).toContain('DOCKER_HOST');
    expect(configError(() => loadWorkerConfig({ ...good, TEMPLATES_DIR: join(dir, 'missing') }))).toContain('TEMPLATES_DIR');
    expect(configError(() => loadWorkerConfig({ ...good, DOCKER_LABELS: 'novalue' }))).toContain('DOCKER_LABELS');
  });

  it('validates RUNTIMES_FILE: readable JSON, safe runtime names, no unknown keys', () => {
    expect(configError(() => loadApiConfig({ ...good, RUNTIMES_FILE: join(dir, 'nope.json') }))).toContain('RUNTIMES_FILE');
    expect(configError(() => loadApiConfig({ ...good, RUNTIMES_FILE: manifest('{not json') }))).toContain('not valid JSON');
    expect(configError(() => loadApiConfig({ ...good, RUNTIMES_FILE: manifest({ runtimes: { '../etc': { image: 'x' } } }) }))).toContain(
      'runtime names',
    );
    expect(configError(() => loadApiConfig({ ...good, RUNTIMES_FILE: manifest({ runtimes: { Upper: { image: 'x' } } }) }))).toContain('RUNTIMES_FILE');
    expect(configError(() => loadApiConfig({ ...good, RUNTIMES_FILE: manifest({ runtimes: { a: { image: 'x', imgae: 'y' } } }) }))).toMatch(
      /Unrecognized key|unrecognized/i,
    );
    expect(configError(() => loadApiConfig({ ...good, RUNTIMES_FILE: manifest({ runtimes: { a: { image: 'x' } }, extra: 1 }) }))).toMatch(
      /Unrecognized key|unrecognized/i,
    );
    expect(configError(() => loadApiConfig({ ...good, RUNTIMES_FILE: manifest({ runtimes: { a: { image: 'x', memoryMb: -1 } } }) }))).toContain(
      'memoryMb',
    );
  });

  it('makes the processes exit 1 with a message naming the variable', () => {
    for (const app of ['apps/api/src/main.ts', 'apps/worker/src/main.ts']) {
      const res = spawnSync(process.execPath, ['--import', 'tsx', app], {
        cwd: REPO,
        env: { PATH: process.env.PATH, ...good, REDIS_URL: 'not-a-url' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(res.status).toBe(1);
      expect(res.stderr).toContain('REDIS_URL');
      expect(res.stderr).not.toContain(good.API_TOKEN);
    }
  });
});
