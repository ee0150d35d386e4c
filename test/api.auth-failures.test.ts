import { describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { useStack } from './helpers/use-stack.ts';

const BUDGET = 3;

/**
 * Failed authentication is rate-limited per client IP (issue 12, finding 12): a token-guessing
 * client gets 429 after AUTH_FAILURES_PER_MINUTE refusals, for every request it makes (the right
 * token too, or the 429 would tell a right guess from a wrong one), while other clients and
 * valid requests are never counted.
 */
describe('failed authentication budget per client', () => {
  const stack = useStack({ worker: false, env: { AUTH_FAILURES_PER_MINUTE: String(BUDGET) } });

  /** GET `path` from a given loopback address (the whole 127/8 reaches the API on 127.0.0.1). */
  const getFrom = (localAddress: string, path: string, token: string | null) =>
    new Promise<{ status: number; body: any; retryAfter?: string }>((resolve, reject) => {
      const { port } = new URL(stack.url);
      const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
      const req = request({ host: '127.0.0.1', port, path, localAddress, headers }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text), retryAfter: res.headers['retry-after'] as string | undefined }));
      });
      req.on('error', reject);
      req.end();
    });

  it('answers 429 to a guessing client after the budget, whatever it sends, and never slows the others', async () => {
    const guesser = '127.0.0.2';
    const wrong = 'x'.repeat(48);
    // valid requests are never counted
    for (let i = 0; i < 2 * BUDGET; i++) expect((await getFrom('127.0.0.1', '/v1/workspaces', stack.token)).status).toBe(200);

    const refused = [];
    for (let i = 0; i < BUDGET; i++) refused.push((await getFrom(guesser, '/v1/workspaces', `${wrong}${i}`)).status);
    expect(refused).toEqual(Array(BUDGET).fill(401));

    const limited = await getFrom(guesser, '/v1/workspaces', wrong);
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ error: { code: 'RATE_LIMITED', message: expect.stringContaining(`more than ${BUDGET} refused requests`) } });
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    expect(Number(limited.retryAfter)).toBeLessThanOrEqual(60);
    // the right token from the guessing client is refused too: the answer must not tell guesses apart
    expect((await getFrom(guesser, '/v1/workspaces', stack.token)).status).toBe(429);
    expect((await getFrom(guesser, '/admin/queues/api/queues', null)).status).toBe(429);
    // health probes stay open to it
    expect((await getFrom(guesser, '/healthz', null)).status).toBe(200);

    // another client is not slowed, and its own failures have their own budget
    expect((await getFrom('127.0.0.1', '/v1/workspaces', stack.token)).status).toBe(200);
    expect((await getFrom('127.0.0.1', '/v1/workspaces', wrong)).status).toBe(401);
    expect((await getFrom('127.0.0.1', '/v1/workspaces', stack.token)).status).toBe(200);
    expect((await getFrom('127.0.0.3', '/v1/workspaces', stack.token)).status).toBe(200);
  });
});
