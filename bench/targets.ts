// Issue 11's targets as result rows: each measure next to its baseline from the same run, the
// ratio, the target and whether it is met; printed as one table, written to bench/results/latest.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './procs.ts';
import { percentileOf } from './latencies.ts';

export type Check =
  | { kind: 'ratio-at-least' | 'ratio-at-most'; value: number }
  | { kind: 'at-most' | 'below'; value: number }
  | { kind: 'context' };

export interface ResultRow {
  id: string;
  ours: number;
  baseline: number | null;
  unit: string;
  ratio: number | null;
  target: string;
  met: boolean | null;
}

const rows: Array<ResultRow & { what: string }> = [];
const notes: string[] = [];

/** A line of detail (how a number breaks down), printed now and again under the table. */
export function note(text: string): void {
  notes.push(text);
  console.log(`[bench] ${text}`);
}

function describe(check: Check, unit: string): string {
  switch (check.kind) {
    case 'ratio-at-least':
      return `ratio ≥ ${check.value}`;
    case 'ratio-at-most':
      return `ratio ≤ ${check.value}`;
    case 'at-most':
      return `≤ ${check.value} ${unit}`.trim();
    case 'below':
      return `< ${check.value} ${unit}`.trim();
    case 'context':
      return '(context)';
  }
}

function judge(check: Check, ours: number, ratio: number | null): boolean | null {
  switch (check.kind) {
    case 'ratio-at-least':
      return ratio !== null && ratio >= check.value;
    case 'ratio-at-most':
      return ratio !== null && ratio <= check.value;
    case 'at-most':
      return ours <= check.value;
    case 'below':
      return ours < check.value;
    case 'context':
      return null;
  }
}

const round = (x: number) => Math.round(x * 100) / 100;

/** Record one measure. `baseline` null: an absolute target (or none). */
export function record(id: string, what: string, ours: number, baseline: number | null, unit: string, check: Check): ResultRow {
  const ratio = baseline ? round(ours / baseline) : null;
  const row = { id, what, ours: round(ours), baseline: baseline === null ? null : round(baseline), unit, ratio, target: describe(check, unit), met: judge(check, ours, ratio) };
  rows.push(row);
  console.log(`[bench] ${id}: ${row.ours} ${unit} vs ${row.baseline ?? '—'} → ${row.met === null ? 'context' : row.met ? 'met' : 'MISSED'}`);
  return row;
}

/** The table, as printed and as pasted into docs/BENCHMARKS.md (Markdown). */
export function table(): string {
  const fmt = (x: number | null) => (x === null ? '—' : x >= 100 ? x.toFixed(0) : String(x));
  const lines = [
    '| id | measure | Dockyard | baseline (same run) | unit | ratio | target | met |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.id} | ${r.what} | ${fmt(r.ours)} | ${fmt(r.baseline)} | ${r.unit} | ${fmt(r.ratio)} | ${r.target} | ${r.met === null ? '—' : r.met ? 'yes' : '**no**'} |`),
  ];
  return [...lines, '', ...notes.map((n) => `- ${n}`)].join('\n');
}

/** Write bench/results/latest.json: [{ id, ours, baseline, unit, ratio, target, met }]. */
export function writeResults(): string {
  const dir = path.join(REPO, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'latest.json');
  const out: ResultRow[] = rows.map(({ id, ours, baseline, unit, ratio, target, met }) => ({ id, ours, baseline, unit, ratio, target, met }));
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  return file;
}

export { percentileOf };
export const medianOf = (xs: number[]) => percentileOf(xs, 50);
export const meanOf = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
