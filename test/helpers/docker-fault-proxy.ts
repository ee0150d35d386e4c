import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultRule {
  method?: string;
  path: RegExp;
  remaining: number;
  status: number;
}

/**
 * An HTTP proxy in front of the real Docker socket that answers chosen requests
 * with an error instead of forwarding them: real faults for the real client.
 */
export async function startDockerFaultProxy(dockerHost: string) {
  const socketPath = new URL(dockerHost).pathname;
  const rules: FaultRule[] = [];
  const injected: Array<{ at: number; method: string; url: string }> = [];
  const forwarded: string[] = [];
  const server = http.createServer((req, res) => {
    const rule = rules.find((r) => r.remaining > 0 && (!r.method || r.method === req.method) && r.path.test(req.url ?? ''));
    if (rule) {
      rule.remaining--;
      injected.push({ at: Date.now(), method: req.method!, url: req.url! });
      req.resume();
      res.writeHead(rule.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `injected fault ${rule.status}` }));
      return;
    }
    forwarded.push(`${req.method} ${req.url}`);
    const upstream = http.request({ socketPath, path: req.url, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      res.flushHeaders(); // streaming answers (events) must reach the client before their first chunk
      up.pipe(res);
    });
    upstream.on('error', (err) => {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `proxy: ${err.message}` }));
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `tcp://127.0.0.1:${port}`,
    injected,
    forwarded,
    /** fail the next `count` requests matching `path` (and `method`) with `status` */
    failNext(count: number, path: RegExp, opts: { method?: string; status?: number } = {}) {
      rules.push({ path, remaining: count, method: opts.method, status: opts.status ?? 500 });
    },
    clear() {
      rules.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
