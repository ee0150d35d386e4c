/** Plain-text tables for the CLI: a header row, columns padded to their widest cell. */
export function table(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined || c === '' ? '-' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** One transition as a line: time, workspace, from → to, cause, message. */
export function transitionLine(e: { at: string; workspaceId?: string; from: string | null; to: string; cause: string; message: string | null }): string {
  return [e.at, e.workspaceId, `${e.from ?? '∅'} → ${e.to}`, e.cause, e.message ?? ''].filter((x) => x !== undefined).join('  ').trimEnd();
}
