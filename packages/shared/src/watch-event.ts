import { z } from 'zod';
import type { WatchRow } from './db/watch.ts';
import { WorkspaceEventJson, toEventJson } from './workspace-json.ts';

/**
 * One workspace transition as the watch stream (GET /v1/watch) sends it, in an SSE event's
 * `data:` line. Its `id:` is a `WatchCursor`.
 */
export const WatchEventJson = WorkspaceEventJson.extend({
  workspaceId: z.uuid(),
  /** the workspace's generation when the transition was written (null for events from before it was recorded) */
  generation: z.number().int().nullable(),
}).meta({ id: 'WatchEvent' });
export type WatchEventJson = z.infer<typeof WatchEventJson>;

export const toWatchEventJson = (r: WatchRow): WatchEventJson => ({ workspaceId: r.workspace_id, generation: r.generation, ...toEventJson(r) });

/**
 * A position in the watch stream: `<xid>-<id>`, the writing transaction's id and the row id, both
 * decimal. Opaque to clients (they only hand it back as Last-Event-ID). Events are ordered by
 * (xid, id); `<xid>-0` is "before every row of transaction xid".
 */
export interface WatchCursor {
  xid: bigint;
  id: bigint;
}

const CURSOR = /^(\d{1,20})-(\d{1,19})$/;
export const WATCH_CURSOR_PATTERN = CURSOR.source;

export const formatCursor = (c: WatchCursor) => `${c.xid}-${c.id}`;

/** The cursor a client sent, or undefined when it is not one. */
export function parseCursor(text: string): WatchCursor | undefined {
  const m = CURSOR.exec(text);
  if (!m) return undefined;
  const c = { xid: BigInt(m[1]!), id: BigInt(m[2]!) };
  return c.xid < 2n ** 64n && c.id < 2n ** 63n ? c : undefined;
}

/** < 0, 0, > 0 as a is before, at or after b. */
export function compareCursors(a: WatchCursor, b: WatchCursor): number {
  if (a.xid !== b.xid) return a.xid < b.xid ? -1 : 1;
  return a.id === b.id ? 0 : a.id < b.id ? -1 : 1;
}

export const laterCursor = (a: WatchCursor, b: WatchCursor) => (compareCursors(a, b) >= 0 ? a : b);
