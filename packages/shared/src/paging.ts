import { ApiError } from './errors.ts';

/** Keyset paging, newest first: an opaque cursor is base64url of "<created_at text>|<id>". */
export function encodeCursor(createdAtText: string, id: string): string {
  return Buffer.from(`${createdAtText}|${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: string; id: string } | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?[+-]\d\d(?::\d\d)?)\|([0-9a-f-]{36})$/i.exec(text);
  return m ? { createdAt: m[1]!, id: m[2]! } : undefined;
}

/** The position a request's `cursor` names; a cursor this API did not issue is a 400. */
export function cursorPosition(cursor: string | undefined): { createdAt: string; id: string } | undefined {
  if (cursor === undefined) return undefined;
  const after = decodeCursor(cursor);
  if (!after) throw new ApiError('VALIDATION_FAILED', 'cursor is not one this API issued');
  return after;
}

/** Cut a `limit + 1` query result into the page and the cursor of the next one. */
export function pageOf<T extends { created_at_text: string; id: string }>(rows: T[], limit: number): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { page, nextCursor: rows.length > limit && last ? encodeCursor(last.created_at_text, last.id) : null };
}
