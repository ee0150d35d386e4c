import { describe, expect, it } from 'vitest';
import { useStack } from './helpers/use-stack.ts';

describe('rate limit', () => {
  const stack = useStack({ worker: false, env: { RATE_LIMIT_PER_MINUTE: '5' } });

  it('answers 429 RATE_LIMITED past the per-minute budget, with Retry-After; health probes are exempt', async () => {
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await stack.request('GET', '/v1/workspaces'));
    expect(answers.slice(0, 5).map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers[5]!.status).toBe(429);
    expect(answers[5]!.body).toMatchObject({ error: { code: 'RATE_LIMITED', message: expect.stringContaining('more than 5 requests') } });
    expect(Number(answers[5]!.headers.get('retry-after'))).toBeGreaterThan(0);
    for (let i = 0; i < 10; i++) expect((await stack.request('GET', '/healthz', { token: null })).status).toBe(200);
    expect((await stack.request('GET', '/readyz', { token: null })).status).toBe(200);
  });
});
