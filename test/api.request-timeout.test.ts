import { describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { useStack } from './helpers/use-stack.ts';

const TIMEOUT_MS = 1_000;
/** the timeout, plus the server's once-a-second sweep of slow connections, plus slack */
const DEADLINE_MS = TIMEOUT_MS + 2_500;

/** Write `bytes`, then wait until the server answers and closes, or the deadline passes. */
async function heldFor(url: string, bytes: string): Promise<{ closedAfterMs: number | undefined; answer: string }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => undefined);
  const started = Date.now();
  let answer = '';
  socket.on('data', (d) => (answer += d));
  socket.write(bytes);
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), DEADLINE_MS);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  socket.destroy();
  return { closedAfterMs: closed ? Date.now() - started : undefined, answer };
}

/**
 * A client that never finishes its request is answered and cut off (issue 12, finding 10): the
 * whole request, headers and body, must arrive within REQUEST_TIMEOUT_MS.
 */
describe('request timeout', () => {
  const stack = useStack({ worker: false, env: { REQUEST_TIMEOUT_MS: String(TIMEOUT_MS) } });
  const head = (extra: string) =>
    `POST /v1/workspaces HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${stack.token}\r\nContent-Type: application/json\r\n${extra}`;

  it('answers and closes an authenticated request whose body stops short of its Content-Length', async () => {
    const { closedAfterMs, answer } = await heldFor(stack.url, `${head('Content-Length: 100\r\n\r\n')}{"`);
    expect(closedAfterMs, 'connection still open at the deadline').toBeDefined();
    expect(closedAfterMs!).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    expect(answer).toMatch(/^HTTP\/1\.1 4\d\d /);
  });

  it('closes a connection whose headers never end', async () => {
    const { closedAfterMs } = await heldFor(stack.url, head('X-Slow: 1\r\n'));
    expect(closedAfterMs, 'connection still open at the deadline').toBeDefined();
  });

  it('still serves a request that arrives in parts within the timeout', async () => {
    const { hostname, port } = new URL(stack.url);
    const socket = connect(Number(port), hostname);
    const body = JSON.stringify({ name: 'slow-but-in-time', runtime: 'busybox' });
    socket.write(`${head(`Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`)}${body.slice(0, 5)}`);
    await new Promise((r) => setTimeout(r, TIMEOUT_MS / 4));
    socket.write(body.slice(5));
    let answer = '';
    for await (const chunk of socket) answer += chunk;
    expect(answer).toMatch(/^HTTP\/1\.1 202 /);
  });
});
