import { request as httpRequest, Agent } from 'node:http';
import type { FuzzAnswer, FuzzRequest } from './fuzz-requests.ts';

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** Send with node:http (fetch refuses a GET body and rewrites some headers); time the whole answer. */
export function send(base: string, req: FuzzRequest, timeoutMs = 5_000): Promise<FuzzAnswer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers };
    if (req.body !== undefined && headers['transfer-encoding'] === undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    const r = httpRequest(base + req.path, { method: req.method, headers, agent, timeout: timeoutMs }, (res) => {
      // an event stream never ends: its answer is the status and headers, and the connection is dropped
      if (String(res.headers['content-type']).startsWith('text/event-stream') && req.method !== 'HEAD') {
        res.destroy();
        return resolve({ status: res.statusCode ?? 0, headers: res.headers, text: '', bytes: 0, ms: performance.now() - started });
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: buf.toString('utf8'), bytes: buf.length, ms: performance.now() - started });
      });
    });
    r.on('timeout', () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    r.on('error', reject);
    r.end(req.body);
  });
}

export const requestBytes = (req: FuzzRequest) =>
  Buffer.byteLength(`${req.method} ${req.path} HTTP/1.1\r\n`) + Object.entries(req.headers).reduce((n, [k, v]) => n + k.length + Buffer.byteLength(v, 'latin1') + 4, 0) + (req.body === undefined ? 0 : Buffer.byteLength(req.body));

export const closeAgent = () => agent.destroy();
