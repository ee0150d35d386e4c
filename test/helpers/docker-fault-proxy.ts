import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultRule {
  method?: string;
  path: RegExp;
  remaining: number;
  /** answer with this status instead of forwarding */
  status?: number;
  /** forward at once (the engine acts) but withhold its answer this long: a client with a shorter timeout gives up not knowing */
  hangMs?: number;
}

/**
 * An HTTP proxy in front of the real Docker socket that answers chosen requests
 * with an error instead of forwarding them, or forwards them and withholds the answer
 * (an engine hanging): real faults for the real client.
 */
export async function startDockerFaultProxy(dockerHost: string) {
  const socketPath = new URL(dockerHost).pathname;
  const rules: FaultRule[] = [];
  const injected: Array<{ at: number; method: string; url: string; fault: 'status' | 'hang' }> = [];
  const forwarded: string[] = [];
  /** hung requests whose client gave up (closed) before the withheld answer was due */
  let abandoned = 0;
  const server = http.createServer((req, res) => {
    const rule = rules.find((r) => r.remaining > 0 && (!r.method || r.method === req.method) && r.path.test(req.url ?? ''));
    if (rule) {
      rule.remaining--;
      injected.push({ at: Date.now(), method: req.method!, url: req.url!, fault: rule.hangMs ? 'hang' : 'status' });
    }
    if (rule?.status) {
      req.resume();
      res.writeHead(rule.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `injected fault ${rule.status}` }));
      return;
    }
    forwarded.push(`${req.method} ${req.url}`);
    const due = Date.now() + (rule?.hangMs ?? 0);
    let closed = false;
    res.once('close', () => {
      closed = true;
      if (Date.now() < due) abandoned++;
    });
    const upstream = http.request({ socketPath, path: req.url, method: req.method, headers: req.headers }, (up) => {
      const answer = () => {
        if (closed) return void up.resume(); // the client gave up: drop the engine's answer
        res.writeHead(up.statusCode ?? 502, up.headers);
        res.flushHeaders(); // streaming answers (events) must reach the client before their first chunk
        up.pipe(res);
      };
      if (due > Date.now()) setTimeout(answer, due - Date.now()).unref();
      else answer();
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
    /** the next `count` requests matching `path` (and `method`) reach the engine, but their answers come `ms` late */
    hangNext(count: number, path: RegExp, opts: { method?: string; ms: number }) {
      rules.push({ path, remaining: count, method: opts.method, hangMs: opts.ms });
    },
    get abandoned() {
      return abandoned;
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
