import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { makeSecretBox, SecretKeyText } from '@dockyard/shared';
import { useStack } from './helpers/use-stack.ts';
import { REPO } from './helpers/stack.ts';
import { newSecretsKey } from './helpers/env.ts';

/** Run a process of the repo to its end: its exit code and output. */
async function runProcess(script: string, env: Record<string, string | undefined>): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, out };
}

const MIGRATE = 'packages/shared/src/db/migrate-cli.ts';
const keyOf = (text: string) => SecretKeyText.parse(text);

/** The migrate CLI seals an older Dockyard's clear env and re-seals under a new key; a bad key stops every process. */
describe('secrets: sealing old rows, key rotation, a bad key', () => {
  const oldKey = newSecretsKey();
  const stack = useStack({ worker: false, env: { SECRETS_KEY: oldKey } });
  const legacyValue = `legacy-secret-${randomBytes(12).toString('hex')}`;
  const liveValue = `rotated-secret-${randomBytes(12).toString('hex')}`;

  async function sealedEnv(id: string): Promise<{ env: Record<string, string>; env_sealed: string | null; env_names: string[] }> {
    return (await stack.pool.query('select env, env_sealed, env_names from workspaces where id = $1', [id])).rows[0];
  }

  it('seals env an older Dockyard kept in clear, and keys its unkeyed idempotency hash', async () => {
    // a row as Dockyard wrote it before migration 006: env in clear, an unkeyed SHA-256 of the create body
    const id = randomUUID();
    const env = { LEGACY_VALUE: legacyValue };
    await stack.pool.query(
      `insert into workspaces (id, name, runtime, env, env_names, status, desired_state, host) values ($1, 'legacy', 'busybox', $2::jsonb, '{LEGACY_VALUE}', 'paused', 'stopped', 'local')`,
      [id, JSON.stringify(env)],
    );
    const legacyHash = createHash('sha256').update(JSON.stringify(['legacy', 'busybox', env, null])).digest('hex');
    await stack.pool.query(`insert into idempotency_keys (key, request_hash, workspace_id) values ($1, $2, $3)`, [`legacy-${id}`, legacyHash, id]);

    const run = await runProcess(MIGRATE, { DATABASE_URL: stack.env.DATABASE_URL, SECRETS_KEY: oldKey });
    expect(run.code, run.out).toBe(0);
    expect(run.out).toContain('1 sealed now, 1 request hashes keyed');
    const row = await sealedEnv(id);
    expect(row.env).toEqual({});
    expect(row.env_names).toEqual(['LEGACY_VALUE']);
    const box = makeSecretBox({ current: keyOf(oldKey) });
    expect(box.open(row.env_sealed!, id)).toEqual(env);
    const { rows } = await stack.pool.query('select request_hash from idempotency_keys where key = $1', [`legacy-${id}`]);
    expect(rows[0].request_hash).toMatch(/^hmac-sha256:/);
    expect(rows[0].request_hash).not.toContain(legacyHash);
    // the keyed hash still matches the request: a retry with the key finds the workspace
    const retry = await stack.request('POST', '/v1/workspaces', { body: { name: 'legacy', runtime: 'busybox', env }, headers: { 'idempotency-key': `legacy-${id}` } });
    expect(retry.body.workspace?.id, JSON.stringify(retry.body)).toBe(id);
    expect(JSON.stringify((await stack.pool.query('select t::text as row from workspaces t')).rows)).not.toContain(legacyValue);
    // and again: nothing left to seal
    const again = await runProcess(MIGRATE, { DATABASE_URL: stack.env.DATABASE_URL, SECRETS_KEY: oldKey });
    expect(again.out).toContain('0 sealed now, 0 request hashes keyed');
  });

  it('rotates: SECRETS_KEY_PREVIOUS opens the old values, the re-seal puts every one under the new key', async () => {
    const oldWorker = await stack.startWorker();
    const created = await stack.request('POST', '/v1/workspaces', { body: { name: 'rotated', runtime: 'busybox', env: { ROTATED_VALUE: liveValue } } });
    const id: string = created.body.workspace.id;
    await stack.waitForStatus(id, 'online');
    await stack.waitForIdle(id);
    await oldWorker.close();
    const before = makeSecretBox({ current: keyOf(oldKey) });
    expect((await sealedEnv(id)).env_sealed).toMatch(new RegExp(`^v1\\.${before.keyId}\\.`));

    const newKey = randomBytes(32).toString('hex'); // the other accepted spelling
    const run = await runProcess(MIGRATE, { DATABASE_URL: stack.env.DATABASE_URL, SECRETS_KEY: newKey, SECRETS_KEY_PREVIOUS: oldKey });
    expect(run.code, run.out).toBe(0);
    const after = makeSecretBox({ current: keyOf(newKey) });
    expect(run.out).toContain(`under key ${after.keyId}`);
    expect(run.out).not.toContain(newKey);
    const { rows } = await stack.pool.query<{ id: string; env_sealed: string }>('select id, env_sealed from workspaces where env_sealed is not null');
    expect(rows.length).toBeGreaterThanOrEqual(2); // this workspace and the legacy one
    for (const row of rows) {
      expect(after.keyIdOf(row.env_sealed)).toBe(after.keyId);
      expect(() => after.open(row.env_sealed, row.id)).not.toThrow(); // the new key alone opens them
      expect(() => before.open(row.env_sealed, row.id)).toThrow(/neither SECRETS_KEY/); // the old one no longer does
    }
    expect(after.open(rows.find((r) => r.id === id)!.env_sealed, id)).toEqual({ ROTATED_VALUE: liveValue });

    // a worker holding only the new key restarts the workspace with its env opened
    await stack.startWorker({ SECRETS_KEY: newKey });
    const restart = await stack.request('POST', `/v1/workspaces/${id}/restart`, { body: {} });
    await stack.waitForJob(id, restart.body.jobId, 'online');
    const info = await stack.docker.getContainer(`ws-${id.slice(0, 12)}`).inspect();
    expect(info.Config.Env).toContain(`ROTATED_VALUE=${liveValue}`);

    // the API still holds only the old key: reading works (names only), changing env says what to fix
    expect((await stack.request('GET', `/v1/workspaces/${id}`)).body.envNames).toEqual(['ROTATED_VALUE']);
    const refused = await stack.request('PATCH', `/v1/workspaces/${id}`, { body: { env: { MORE: 'x' } } });
    expect(refused.status).toBe(503);
    expect(refused.body.error.message).toContain('SECRETS_KEY_PREVIOUS');
    expect(stack.logLines.join('\n')).not.toContain(liveValue);
  });

  it('exits 1 naming SECRETS_KEY when it is missing or malformed, never echoing it', async () => {
    const bad = `not-a-key-${randomBytes(6).toString('hex')}`;
    const { SECRETS_KEY: _, ...rest } = stack.env;
    for (const script of ['apps/api/src/main.ts', 'apps/worker/src/main.ts', MIGRATE]) {
      for (const env of [{ ...rest, SECRETS_KEY: bad }, rest, { ...stack.env, SECRETS_KEY_PREVIOUS: bad }]) {
        const run = await runProcess(script, env);
        expect(run.code, `${script}: ${run.out}`).toBe(1);
        expect(run.out).toMatch(/SECRETS_KEY(_PREVIOUS)?: (must be|required)/);
        expect(run.out).toContain('32 random bytes');
        expect(run.out).not.toContain(bad);
      }
    }
    // a base64 key of the wrong length too (31 bytes)
    const short = await runProcess(MIGRATE, { ...stack.env, SECRETS_KEY: randomBytes(31).toString('base64') });
    expect(short.code).toBe(1);
    expect(short.out).toContain('SECRETS_KEY: must be');
  });
});
