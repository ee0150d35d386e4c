// P6's baseline, a process of its own: a bare Fastify server with the same bearer-token check as
// the API (a SHA-256 of each side, compared in constant time) and the same one-row query, on a
// pool of the API's size. No logging, no schemas, no hooks beyond the token check.
// Input: BENCH_INPUT { databaseUrl, token }. Prints { port } once listening; SIGTERM closes it.
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';

const input = JSON.parse(process.env.BENCH_INPUT ?? '{}') as { databaseUrl: string; token: string };
const pool = new pg.Pool({ connectionString: input.databaseUrl, max: 10 });
const digest = (s: string) => createHash('sha256').update(s).digest();
const expected = input.token;
const BEARER = /^Bearer (\S.*)$/s;

const app = Fastify({ logger: false });
app.addHook('onRequest', async (req, reply) => {
  const given = BEARER.exec(req.headers.authorization ?? '')?.[1];
  if (given === undefined || !timingSafeEqual(digest(given), digest(expected))) {
    return reply.code(401).send({ error: { code: 'UNAUTHORIZED', message: 'invalid token' } });
  }
});
app.get<{ Params: { id: string } }>('/v1/workspaces/:id', async (req, reply) => {
  const { rows } = await pool.query('select * from workspaces where id = $1::uuid', [req.params.id]);
  if (!rows[0]) return reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'no such workspace' } });
  return rows[0];
});

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address() as { port: number };
console.log(JSON.stringify({ port: address.port }));

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void app.close().then(() => pool.end()).finally(() => process.exit(0)));
}
