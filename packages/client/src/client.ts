import type { DeadLetterJson, WatchEventJson, WorkspaceEventJson, WorkspaceJson } from '@dockyard/shared';
import { DockyardError } from './errors.ts';
import { readEvents } from './sse.ts';

/**
 * Every route the client calls, as /openapi.json names it ("<METHOD> <path template>");
 * test/cli.test.ts checks each against the served document.
 */
export const ROUTES = {
  listWorkspaces: 'GET /v1/workspaces',
  getWorkspace: 'GET /v1/workspaces/{id}',
  createWorkspace: 'POST /v1/workspaces',
  restartWorkspace: 'POST /v1/workspaces/{id}/restart',
  stopWorkspace: 'POST /v1/workspaces/{id}/stop',
  removeWorkspace: 'DELETE /v1/workspaces/{id}',
  listEvents: 'GET /v1/workspaces/{id}/events',
  listDeadLetters: 'GET /v1/dead-letters',
  replayDeadLetter: 'POST /v1/dead-letters/{id}/replay',
  watch: 'GET /v1/watch',
} as const;
export type RouteName = keyof typeof ROUTES;

export interface Accepted {
  workspace: WorkspaceJson;
  jobId: string;
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
export interface WatchFilter {
  workspaceId?: string;
  status?: WorkspaceJson['status'];
}
/** A watch event with its cursor (hand it back as `after` to resume). */
export interface WatchEvent extends WatchEventJson {
  cursor: string;
}

export interface ClientOptions {
  url: string;
  token: string;
  /** pause before a watch reconnects (default 1 s) */
  reconnectMs?: number;
}

type Query = Record<string, string | number | boolean | undefined>;

export function makeDockyardClient(opts: ClientOptions) {
  const base = opts.url.replace(/\/+$/, '');
  const reconnectMs = opts.reconnectMs ?? 1_000;

  const urlOf = (route: RouteName, params: Record<string, string> = {}, query: Query = {}) => {
    const path = ROUTES[route].split(' ')[1]!.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(params[k]!));
    const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
    return `${base}${path}${qs.size ? `?${qs}` : ''}`;
  };

  async function send<T>(route: RouteName, o: { params?: Record<string, string>; query?: Query; body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${opts.token}`, ...o.headers };
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(urlOf(route, o.params, o.query), { method: ROUTES[route].split(' ')[0], headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
    } catch (err) {
      throw new DockyardError('NETWORK', `cannot reach ${base}: ${(err as Error).message}`, 0, undefined, { cause: err });
    }
    return (await answerOf(res)) as T;
  }

  /**
   * Every transition after `after` (default: from now on), as an async iterator. A dropped
   * connection is resumed with Last-Event-ID, so no event is missed or repeated; an error answer
   * (401, 400, 429…) ends it with a DockyardError. `break` out of the loop to close it.
   */
  async function* watch(filter: WatchFilter = {}, after?: string): AsyncGenerator<WatchEvent> {
    let cursor = after;
    for (;;) {
      const abort = new AbortController();
      try {
        const headers: Record<string, string> = { authorization: `Bearer ${opts.token}`, accept: 'text/event-stream' };
        if (cursor) headers['last-event-id'] = cursor;
        let res: Response | undefined;
        try {
          res = await fetch(urlOf('watch', {}, { ...filter }), { headers, signal: abort.signal });
        } catch {
          /* unreachable for now: retry */
        }
        if (res && !res.ok && res.status < 500) await answerOf(res); // 503: Postgres is away, retry
        if (res?.ok && res.body) {
          try {
            for await (const m of readEvents(res.body as AsyncIterable<Uint8Array>, (id) => (cursor = id))) {
              yield { ...(JSON.parse(m.data) as WatchEventJson), cursor: m.id! };
            }
          } catch {
            /* the connection dropped: resume */
          }
        }
      } finally {
        abort.abort();
      }
      await new Promise((r) => setTimeout(r, reconnectMs));
    }
  }

  return {
    url: base,
    listWorkspaces: (q: { status?: string; runtime?: string; host?: string; limit?: number; cursor?: string } = {}) => send<Page<WorkspaceJson>>('listWorkspaces', { query: q }),
    getWorkspace: (id: string) => send<WorkspaceJson>('getWorkspace', { params: { id } }),
    createWorkspace: (body: { name: string; runtime: string; env?: Record<string, string>; host?: string }, idempotencyKey?: string) =>
      send<Accepted>('createWorkspace', { body, headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {} }),
    restartWorkspace: (id: string, body: { applyTemplate?: boolean; reason?: string } = {}) => send<Accepted>('restartWorkspace', { params: { id }, body }),
    stopWorkspace: (id: string) => send<Accepted>('stopWorkspace', { params: { id } }),
    removeWorkspace: (id: string, o: { purge?: boolean } = {}) => send<Accepted>('removeWorkspace', { params: { id }, query: { purge: o.purge ? 'true' : undefined } }),
    /** newest first */
    listEvents: (id: string, limit?: number) => send<{ items: WorkspaceEventJson[] }>('listEvents', { params: { id }, query: { limit } }),
    listDeadLetters: (q: { limit?: number; cursor?: string } = {}) => send<Page<DeadLetterJson>>('listDeadLetters', { query: q }),
    replayDeadLetter: (id: string) => send<{ jobId: string }>('replayDeadLetter', { params: { id } }),
    watch,
  };
}
export type DockyardClient = ReturnType<typeof makeDockyardClient>;

/** The JSON of a 2xx answer; a DockyardError carrying the contract's code otherwise. */
async function answerOf(res: Response): Promise<unknown> {
  const text = await res.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (res.ok) return body;
  const e = body?.error;
  throw new DockyardError(typeof e?.code === 'string' ? e.code : `HTTP_${res.status}`, typeof e?.message === 'string' ? e.message : `HTTP ${res.status}`, res.status, e?.details);
}
