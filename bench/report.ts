// How `npm run bench` computes and prints its rows: a value next to a baseline measured in the same run.

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

export const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)]!;

/** The nearest-rank percentile: the smallest value with at least p% of the values at or below it. */
export const percentile = (xs: number[], p: number) => sorted(xs)[Math.max(0, Math.ceil((p / 100) * xs.length) - 1)]!;

export const max = (xs: number[]) => Math.max(...xs);

const NAME_WIDTH = 56;

export function printHeader(): void {
  console.log(`${'benchmark'.padEnd(NAME_WIDTH)}     value         baseline (same run)        ratio`);
}

export function row(name: string, value: number, baseline: number, unit: string): void {
  console.log(
    `${name.padEnd(NAME_WIDTH)} ${value.toFixed(1).padStart(9)} ${unit.padEnd(6)} baseline ${baseline.toFixed(1).padStart(9)} ${unit.padEnd(6)} ratio ${(value / baseline).toFixed(2)}`,
  );
}

/** A line of detail under the rows (how a number breaks down), indented so the rows stay easy to scan. */
export function note(text: string): void {
  console.log(`  · ${text}`);
}
