import { z } from 'zod';

/** Keyset paging, newest first: an opaque cursor is base64url of "<created_at text>|<id>". */
export function encodeCursor(createdAtText: string, id: string): string {
  return Buffer.from(`${createdAtText}|${id}`).toString('base64url');
}

export interface CursorPosition {
  /** created_at as Postgres prints a timestamptz, full precision */
  createdAt: string;
  id: string;
}

// "2026-11-26 10:20:30.123456+00" (offsets may carry minutes and seconds), then "|" and a UUID
const CURSOR_TEXT = new RegExp(
  String.raw`^(?<at>(?<y>\d{4})-(?<mo>\d\d)-(?<d>\d\d) (?<h>\d\d):(?<mi>\d\d):(?<s>\d\d)(?:\.\d{1,6})?[+-](?<oh>\d\d)(?::(?<om>\d\d))?(?::(?<os>\d\d))?)` +
    String.raw`\|(?<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`,
  'i',
);

const isLeapYear = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const daysIn = (y: number, m: number) => (m === 2 ? (isLeapYear(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31);

/** Ranges of the fields of a date and time Postgres accepts (no year 0, no 24:00, offsets within ±15:59:59); the day's depends on the month. */
const RANGES: Record<string, [min: number, max: number]> = { y: [1, 9999], mo: [1, 12], h: [0, 23], mi: [0, 59], s: [0, 59], oh: [0, 15], om: [0, 59], os: [0, 59] };

function isRealTimestamp(g: Record<string, string | undefined>): boolean {
  const n = (k: string) => Number(g[k] ?? 0);
  return Object.entries(RANGES).every(([k, [min, max]]) => n(k) >= min && n(k) <= max) && n('d') >= 1 && n('d') <= daysIn(n('y'), n('mo'));
}

/** The position a cursor names, or undefined for anything this API would not have issued. */
export function decodeCursor(cursor: string): CursorPosition | undefined {
  const g = CURSOR_TEXT.exec(Buffer.from(cursor, 'base64url').toString('utf8'))?.groups;
  return g && isRealTimestamp(g) ? { createdAt: g.at!, id: g.id! } : undefined;
}

/** The `cursor` query parameter: decoded and checked whole, so a forged one is a 400 naming `cursor`, never a database error. */
export const PageCursor = z
  .string()
  .max(200)
  .transform((cursor, ctx): CursorPosition => {
    const position = decodeCursor(cursor);
    if (!position) {
      ctx.issues.push({ code: 'custom', message: 'not a cursor this API issued (pass nextCursor from the previous page)', input: cursor });
      return z.NEVER;
    }
    return position;
  });

/** Cut a `limit + 1` query result into the page and the cursor of the next one. */
export function pageOf<T extends { created_at_text: string; id: string }>(rows: T[], limit: number): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { page, nextCursor: rows.length > limit && last ? encodeCursor(last.created_at_text, last.id) : null };
}
