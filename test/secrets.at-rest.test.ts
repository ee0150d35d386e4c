import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { makeRedisClient, makeSecretBox, SecretKeyText, type AnyRedis } from '@dockyard/shared';
import { useStack } from './helpers/use-stack.ts';

/** Every value of every key under `prefix:`, as text (strings, hashes, lists, sets, sorted sets, streams). */
async function redisContents(url: string, prefix: string): Promise<{ keys: number; text: string }> {
  const client = makeRedisClient(url);
  try {
    if (client.status !== 'ready') await new Promise((resolve, reject) => client.once('ready', resolve).once('error', reject));
    const nodes: AnyRedis[] = client instanceof Cluster ? client.nodes('master') : [client];
    const parts: string[] = [];
    let keys = 0;
    for (const node of nodes) {
      for (const key of await node.keys(`${prefix}:*`)) {
        keys++;
        const type = await node.type(key);
        const value =
          type === 'string' ? await node.get(key)
          : type === 'hash' ? await node.hgetall(key)
          : type === 'list' ? await node.lrange(key, 0, -1)
          : type === 'set' ? await node.smembers(key)
          : type === 'zset' ? await node.zrange(key, 0, -1, 'WITHSCORES')
          : type === 'stream' ? await node.xrange(key, '-', '+')
          : `(${type})`;
        parts.push(key, JSON.stringify(value));
      }
    }
    return { keys, text: parts.join('\n') };
  } finally {
    client.disconnect();
  }
}

/** Workspace env values are secrets: sealed in Postgres, absent from Redis, the logs and the API's answers. */
describe('secrets at rest', () => {
  const stack = useStack();
  const value = `at-rest-secret-${randomBytes(12).toString('hex')}`;
  const patched = `at-rest-patched-${randomBytes(12).toString('hex')}`;
  const failing = `at-rest-failing-${randomBytes(12).toString('hex')}`;

  it('keeps env values out of Postgres, Redis, the logs and the dead letters through create, patch, restart and a failure', async () => {
    const created = await stack.request('POST', '/v1/workspaces', {
      body: { name: 'sealed', runtime: 'busybox', env: { SEALED_VALUE: value } },
      headers: { 'idempotency-key': `at-rest-${stack.id}` },
    });
    expect(created.status).toBe(202);
    const id: string = created.body.workspace.id;
    await stack.waitForStatus(id, 'online');
    const res = await stack.request('PATCH', `/v1/workspaces/${id}`, { body: { env: { PATCHED_VALUE: patched } } });
    expect(res.status).toBe(202);
    await stack.waitForJob(id, res.body.jobId, 'online');
    // a job that fails for good: its payload goes to the dead-letter queue and table
    const dead = await stack.request('POST', '/v1/workspaces', { body: { name: 'dead', runtime: 'notemplate', env: { FAILING_VALUE: failing } } });
    expect(dead.status).toBe(202);
    await stack.waitForStatus(dead.body.workspace.id, 'failed');
    await stack.waitForIdle(dead.body.workspace.id);
    await stack.waitForIdle(id);
    const needles = { 'the created value': value, 'the patched value': patched, "the failed workspace's value": failing };

    // the values really went through: the container has them (a test that cannot fail would prove nothing)
    const info = await stack.docker.getContainer(`ws-${id.slice(0, 12)}`).inspect();
    expect(info.Config.Env).toEqual(expect.arrayContaining([`SEALED_VALUE=${value}`, `PATCHED_VALUE=${patched}`]));

    // Postgres: every row of every table, as text (each column of workspaces, events, dead letters, idempotency keys …)
    const { rows: tables } = await stack.pool.query<{ name: string }>(`select quote_ident(tablename) as name from pg_tables where schemaname = 'public'`);
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['workspaces', 'workspace_events', 'dead_letters', 'idempotency_keys']));
    for (const { name } of tables) {
      const { rows } = await stack.pool.query<{ row: string }>(`select t::text as row from ${name} t`);
      for (const [what, needle] of Object.entries(needles)) {
        expect(rows.filter((r) => r.row.includes(needle)), `${what} in table ${name}`).toEqual([]);
      }
    }
    const { rows: deadLetters } = await stack.pool.query('select job::text as job from dead_letters where workspace_id = $1', [dead.body.workspace.id]);
    expect(deadLetters).toHaveLength(1);
    // what Postgres holds instead: the sealed text under this stack's key, the names, no clear env
    const { rows } = await stack.pool.query('select env, env_sealed, env_names from workspaces where id = $1', [id]);
    expect(rows[0].env).toEqual({});
    expect(rows[0].env_names).toEqual(['PATCHED_VALUE', 'SEALED_VALUE']);
    const box = makeSecretBox({ current: SecretKeyText.parse(stack.env.SECRETS_KEY) });
    expect(rows[0].env_sealed).toMatch(new RegExp(`^v1\\.${box.keyId}\\.`));
    expect(box.open(rows[0].env_sealed, id)).toEqual({ SEALED_VALUE: value, PATCHED_VALUE: patched });
    // bound to its workspace: the same text does not open as another's
    expect(() => box.open(rows[0].env_sealed, dead.body.workspace.id)).toThrow(/does not open/);
    // the idempotency hash is keyed (HMAC under the secrets key), never a bare hash of the body
    const { rows: keys } = await stack.pool.query('select request_hash from idempotency_keys where workspace_id = $1', [id]);
    expect(keys[0].request_hash).toMatch(new RegExp(`^hmac-sha256:${box.keyId}:[0-9a-f]{64}$`));

    // Redis: every key of this installation (job payloads, the dead-letter queue, events, metrics)
    const redis = await redisContents(stack.env.REDIS_URL!, stack.env.QUEUE_PREFIX!);
    expect(redis.keys).toBeGreaterThan(5);
    expect(redis.text).toContain(id); // the job payloads are there
    for (const [what, needle] of Object.entries(needles)) expect(redis.text.includes(needle), `${what} in Redis`).toBe(false);

    // the logs of the whole run
    expect(stack.logLines.length).toBeGreaterThan(20);
    for (const [what, needle] of Object.entries(needles)) {
      expect(stack.logLines.join('\n').includes(needle), `${what} in the log`).toBe(false);
    }

    // the same Idempotency-Key and body still find the same workspace; another body is refused
    const again = await stack.request('POST', '/v1/workspaces', {
      body: { name: 'sealed', runtime: 'busybox', env: { SEALED_VALUE: value } },
      headers: { 'idempotency-key': `at-rest-${stack.id}` },
    });
    expect(again.body.workspace.id).toBe(id);
    const other = await stack.request('POST', '/v1/workspaces', {
      body: { name: 'sealed', runtime: 'busybox', env: { SEALED_VALUE: `${value}x` } },
      headers: { 'idempotency-key': `at-rest-${stack.id}` },
    });
    expect(other.status).toBe(409);
  });
});
