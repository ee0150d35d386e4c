import { readEvents } from '@dockyard/client';

/** A Server-Sent Events connection a test holds open: what it received so far, and how to drop it. */
export interface SseStream {
  status: number;
  /** the error answer, when status is not 200 */
  body?: unknown;
  /** data events as received, with the id each carried */
  events: Array<{ id: string; data: any }>;
  /** the last id the stream sent (a data event's, or the position line at its start) */
  lastId(): string | undefined;
  /** comment lines (heartbeats) received */
  comments: number;
  close(): void;
  /** resolves when the server ends the stream */
  ended: Promise<void>;
}

/** Open an SSE stream with fetch and parse it as it arrives (field lines; an empty line ends an event). */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const stream: SseStream = { status: res.status, events: [], comments: 0, lastId: () => last, close: () => abort.abort(), ended: Promise.resolve() };
  let last: string | undefined;
  if (res.status !== 200) {
    stream.body = await res.json();
    return stream;
  }
  stream.ended = (async () => {
    try {
      for await (const m of readEvents(res.body as AsyncIterable<Uint8Array>, (id) => (last = id), () => stream.comments++)) stream.events.push({ id: m.id!, data: JSON.parse(m.data) });
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    }
  })();
  stream.ended.catch(() => undefined);
  return stream;
}
