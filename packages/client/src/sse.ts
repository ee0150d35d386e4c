/** One Server-Sent Event: its `id:` (the last one seen, as the spec keeps it) and its `data:` lines joined. */
export interface SseMessage {
  id: string | undefined;
  data: string;
}

/**
 * Parse an event stream as it arrives: yields every dispatched event; an event without data
 * still updates `lastId` (the watch stream starts with one, naming its position).
 */
export async function* readEvents(body: AsyncIterable<Uint8Array>, onId: (id: string) => void, onComment?: () => void): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  let id: string | undefined;
  let data: string[] = [];
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.search(/\r?\n/)) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(buffer[nl] === '\r' ? nl + 2 : nl + 1);
      if (line === '') {
        if (id !== undefined) onId(id);
        if (data.length) yield { id, data: data.join('\n') };
        data = [];
        continue;
      }
      if (line.startsWith(':')) {
        onComment?.(); // a heartbeat
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'data') data.push(value);
    }
  }
}
