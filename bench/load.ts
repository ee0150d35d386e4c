// The load generator, a process of its own: autocannon over loopback, requests cycling through
// the given targets. Input: BENCH_INPUT (LoadInput as JSON). Output: one line of LoadResult JSON.
import type { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { tailTimeline, watchOwnLoop } from './latencies.ts';

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
  /** requests sent first and not measured (as the baselines warm up: connections opened, code compiled) */
  warmup?: number;
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
  /** when the slowest 1 % were answered: their count in each tenth of the run */
  tail: string;
  /** every answer's latency (ms), for runs measured in rounds (bench/latencies.ts) */
  latencies: number[];
  /** this process's event loop, late at worst during the measured run (ms; bench/latencies.ts) */
  loopLateMs: number;
}

const input = JSON.parse(process.env.BENCH_INPUT ?? '{}') as LoadInput;
let next = 0;
// autocannon reports a run with `amount` only at its next one-second tick, so its `duration` is
// rounded up to whole seconds (3,000 requests done in 7.2 s read as 8 s): the rate is taken from
// its start to the last answer instead, measured here
const options = (amount: number | undefined): autocannon.Options => ({
  url: input.url,
  connections: input.connections,
  amount,
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
if (input.warmup) await autocannon(options(input.warmup));
const started = performance.now();
let lastAnswer = started;
const stopWatch = watchOwnLoop();
const run = autocannon(options(input.amount));
// the promise autocannon returns is its run's event emitter too
const answers: Array<[at: number, ms: number]> = [];
(run as unknown as EventEmitter).on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
  lastAnswer = performance.now();
  answers.push([lastAnswer - started, ms]);
});
const result = await run;
const loopLateMs = stopWatch();
const answered = result['2xx'] + result.non2xx;
const durationS = input.amount ? (lastAnswer - started) / 1000 : result.duration;
const out: LoadResult = {
  requests: answered,
  durationS,
  rps: answered / durationS,
  p50: result.latency.p50,
  p99: result.latency.p99,
  max: result.latency.max,
  non2xx: result.non2xx,
  errors: result.errors + result.timeouts,
  tail: tailTimeline(answers, lastAnswer - started),
  latencies: answers.map(([, ms]) => ms),
  loopLateMs,
};
// exit only once the line is written: stdout is a pipe, and process.exit drops what it has not
// written yet (a long run's latencies, ~200 KB, were cut off)
process.stdout.write(`${JSON.stringify(out)}\n`, () => process.exit(0));
