// Latencies of the load generator (bench/load.ts) and the intake baseline (bench/baseline-intake.ts):
// where a run's slowest answers fell, and runs measured in rounds taken together.

/** The p-th percentile (nearest rank); the bench's one percentile (bench/targets.ts re-exports it). */
export function percentileOf(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** The slowest 1 % of answers, counted per tenth of the run in which they came: a cold start shows as a heap in the first tenth. */
export function tailTimeline(answers: Array<[at: number, ms: number]>, spanMs: number): string {
  if (answers.length === 0) return '';
  const slowest = [...answers].sort((a, b) => b[1] - a[1]).slice(0, Math.max(1, Math.ceil(answers.length / 100)));
  const tenths = new Array<number>(10).fill(0);
  for (const [at] of slowest) tenths[Math.min(9, Math.floor((at / Math.max(1, spanMs)) * 10))]!++;
  return `slowest ${slowest.length} (≥ ${slowest.at(-1)![1].toFixed(0)} ms) per tenth of the run: ${tenths.join(' ')}`;
}

export interface Round {
  latencies: number[];
  durationS: number;
  tail: string;
  /** how late the measuring process's own event loop ran at worst during the round (ms) */
  loopLateMs: number;
}

/**
 * Watch the measuring process's own event loop (a 10 ms timer): every answer it times is late by
 * as much as the loop was, so a heap of slow answers that coincides with a late loop is the
 * measuring process's, not the server's. Returns the stop, which gives the worst lateness in ms.
 */
export function watchOwnLoop(): () => number {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 10);
    last = now;
  }, 10);
  return () => {
    clearInterval(timer);
    return Math.max(0, worst);
  };
}

/** Rounds of one side taken as one run: answers over the time they took, percentiles over every answer. */
export function combineRounds(rounds: Round[]): { rps: number; p50: number; p99: number; tail: string; requests: number } {
  const all = rounds.flatMap((r) => r.latencies);
  const seconds = rounds.reduce((sum, r) => sum + r.durationS, 0);
  return {
    requests: all.length,
    rps: all.length / seconds,
    p50: percentileOf(all, 50),
    p99: percentileOf(all, 99),
    tail: `${rounds.map((r, i) => `round ${i + 1}: ${r.tail}`).join('; ')}; the measuring process's event loop late at worst, per round: ${rounds.map((r) => `${r.loopLateMs.toFixed(0)} ms`).join(', ')}`,
  };
}
