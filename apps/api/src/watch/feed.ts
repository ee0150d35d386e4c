import pg from 'pg';
import {
  compareCursors,
  laterCursor,
  listenForWatchEvents,
  readWatchRows,
  type Logger,
  type Pool,
  type WatchCursor,
  type WatchFilter,
  type WatchRow,
} from '@dockyard/shared';

export interface WatchFeedDeps {
  /** for the one LISTEN connection of this process */
  databaseUrl: string;
  pool: Pool;
  log: Logger;
  /** how often the table is read without a wake-up (missed notifications, rows not yet below xmin) */
  pollMs: number;
}

export type WatchListener = (row: WatchRow, cursor: WatchCursor) => void;

interface Subscriber {
  filter: WatchFilter;
  /** every matching row up to here was handed to onEvent */
  cursor: WatchCursor;
  /** caught up: fed by the shared reads; until then it replays from its own cursor */
  live: boolean;
  onEvent: WatchListener;
}

const PAGE = 500;
const RECONNECT_MS = 1_000;

const cursorOf = (r: WatchRow): WatchCursor => ({ xid: BigInt(r.xid), id: BigInt(r.id) });
const matches = (f: WatchFilter, r: WatchRow) => (!f.workspaceId || r.workspace_id === f.workspaceId) && (!f.status || r.to_status === f.status);

/**
 * The watch feed of one API process: one LISTEN connection (reconnecting) and a poll wake the
 * feed, which reads workspace_events once for every caught-up stream and fans the rows out. A new
 * stream first replays from its own cursor (filtered) until it reaches the shared position.
 * Reads run one at a time, so each stream sees every row once, in (xid, id) order.
 */
export function makeWatchFeed(deps: WatchFeedDeps) {
  const subs = new Set<Subscriber>();
  /** every live subscriber has been handed every matching row up to here */
  let head: WatchCursor | undefined;
  let running = false;
  let reading: Promise<void> | undefined;
  let readAgain = false;
  let listener: pg.Client | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;

  function deliver(sub: Subscriber, row: WatchRow, at: WatchCursor) {
    if (compareCursors(at, sub.cursor) <= 0) return;
    sub.cursor = at;
    if (matches(sub.filter, row)) sub.onEvent(row, at);
  }

  /** Replay a new subscriber from its cursor until it reaches the shared position. */
  async function catchUp(sub: Subscriber) {
    for (;;) {
      const { rows, frontier } = await readWatchRows(deps.pool, sub.cursor, sub.filter, PAGE);
      if (!subs.has(sub)) return;
      for (const row of rows) deliver(sub, row, cursorOf(row));
      if (rows.length === PAGE) continue;
      sub.cursor = laterCursor(sub.cursor, frontier);
      const anyLive = [...subs].some((s) => s.live);
      if (!head || !anyLive) head = head ? laterCursor(head, sub.cursor) : sub.cursor;
      if (compareCursors(sub.cursor, head) >= 0) return void (sub.live = true);
    }
  }

  /** One shared read from `head` for every caught-up subscriber. */
  async function readShared() {
    for (;;) {
      if (!head || ![...subs].some((s) => s.live)) return;
      const { rows, frontier } = await readWatchRows(deps.pool, head, {}, PAGE);
      for (const row of rows) {
        const at = cursorOf(row);
        for (const s of subs) if (s.live) deliver(s, row, at);
        head = laterCursor(head, at);
      }
      if (rows.length === PAGE) continue;
      head = laterCursor(head, frontier);
      for (const s of subs) if (s.live) s.cursor = laterCursor(s.cursor, head);
      return;
    }
  }

  async function read() {
    try {
      for (const s of [...subs]) if (!s.live && subs.has(s)) await catchUp(s);
      await readShared();
    } catch (err) {
      deps.log.warn({ err }, 'watch feed read failed; retrying');
    }
  }

  /** Read now, or right after the read under way. */
  function wake() {
    if (!running || subs.size === 0) return;
    if (reading) return void (readAgain = true);
    reading = read().finally(() => {
      reading = undefined;
      if (readAgain) {
        readAgain = false;
        wake();
      }
    });
  }

  function dropListener(client: pg.Client) {
    if (listener !== client) return;
    listener = undefined;
    client.end().catch(() => undefined);
    if (running) reconnectTimer = setTimeout(listen, RECONNECT_MS);
  }

  async function listen() {
    const client = new pg.Client({ connectionString: deps.databaseUrl, connectionTimeoutMillis: 5_000, keepAlive: true });
    listener = client;
    client.on('notification', wake);
    client.on('error', (err) => {
      deps.log.warn({ err }, 'watch feed listen connection failed; reconnecting');
      dropListener(client);
    });
    client.on('end', () => dropListener(client));
    try {
      await client.connect();
      await listenForWatchEvents(client);
      wake(); // anything written while it was not listening
    } catch (err) {
      deps.log.warn({ err }, 'watch feed could not listen; retrying');
      dropListener(client);
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      void listen();
      pollTimer = setInterval(wake, deps.pollMs);
    },
    async stop() {
      running = false;
      clearInterval(pollTimer);
      clearTimeout(reconnectTimer);
      subs.clear();
      const l = listener;
      listener = undefined;
      await Promise.all([l?.end().catch(() => undefined), reading]);
    },
    /** Hand every row after `after` matching `filter` to onEvent, in order, once each; returns the unsubscribe. */
    subscribe(filter: WatchFilter, after: WatchCursor, onEvent: WatchListener): () => void {
      const sub: Subscriber = { filter, cursor: after, live: false, onEvent };
      subs.add(sub);
      wake();
      return () => void subs.delete(sub);
    },
  };
}
export type WatchFeed = ReturnType<typeof makeWatchFeed>;
