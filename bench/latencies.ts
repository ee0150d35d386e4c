// Where in a run its slowest answers fell (bench/load.ts and bench/baseline-intake.ts).

/** The slowest 1 % of answers, counted per tenth of the run in which they came: a cold start shows as a heap in the first tenth. */
export function tailTimeline(answers: Array<[at: number, ms: number]>, spanMs: number): string {
  if (answers.length === 0) return '';
  const slowest = [...answers].sort((a, b) => b[1] - a[1]).slice(0, Math.max(1, Math.ceil(answers.length / 100)));
  const tenths = new Array<number>(10).fill(0);
  for (const [at] of slowest) tenths[Math.min(9, Math.floor((at / Math.max(1, spanMs)) * 10))]!++;
  return `slowest ${slowest.length} (≥ ${slowest.at(-1)![1].toFixed(0)} ms) per tenth of the run: ${tenths.join(' ')}`;
}
