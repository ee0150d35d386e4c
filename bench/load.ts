// The load generator, a process of its own: autocannon over loopback, requests cycling through
// the given targets. Input: BENCH_INPUT (LoadInput as JSON). Output: one line of LoadResult JSON.
import autocannon from 'autocannon';

export interface LoadInput {
  url: string;
  token: string;
  method: 'GET' | 'POST';
  /** cycled through in order, one per request (e.g. one per workspace) */
  targets: Array<{ path: string; body?: string }>;
  connections: number;
  /** stop after this many requests … */
  amount?: number;
  /** … or after this many seconds */
  durationS?: number;
}

export interface LoadResult {
  requests: number;
  durationS: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  /** answers other than 2xx, and requests without an answer */
  non2xx: number;
  errors: number;
}

const input = JSON.parse(process.env.BENCH_INPUT ?? '{}') as LoadInput;
let next = 0;
const result = await autocannon({
  url: input.url,
  connections: input.connections,
  amount: input.amount,
  duration: input.durationS ?? 3600,
  timeout: 30,
  headers: { authorization: `Bearer ${input.token}`, ...(input.method === 'POST' ? { 'content-type': 'application/json' } : {}) },
  requests: [
    {
      method: input.method,
      setupRequest: (req) => {
        const t = input.targets[next++ % input.targets.length]!;
        return { ...req, path: t.path, ...(input.method === 'POST' ? { body: t.body ?? '{}' } : {}) };
      },
    },
  ],
});
const answered = result['2xx'] + result.non2xx;
const out: LoadResult = {
  requests: answered,
  durationS: result.duration,
  rps: answered / result.duration,
  p50: result.latency.p50,
  p99: result.latency.p99,
  max: result.latency.max,
  non2xx: result.non2xx,
  errors: result.errors + result.timeouts,
};
console.log(JSON.stringify(out));
process.exit(0);
