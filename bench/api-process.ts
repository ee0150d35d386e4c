// The API as a process of its own (apps/api/src/main.ts), as it runs in production: the fleet
// benchmarks talk to it over loopback, so its event loop is not the benchmark's.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from './procs.ts';
import type { Stack } from '../test/helpers/stack.ts';
import { REPO } from '../test/helpers/stack.ts';
import { waitFor } from '../test/helpers/wait.ts';

export interface ApiProcess {
  url: string;
  pid: number;
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** SIGTERM (its graceful close), SIGKILL if it has not exited within 10 s */
  close(): Promise<void>;
}

/** Start the API process on the stack's database, Redis and queue prefix; resolves once /healthz answers. */
export async function spawnApi(stack: Stack, extraEnv: Record<string, string> = {}): Promise<ApiProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/api/src/main.ts'], {
    cwd: REPO,
    env: { ...process.env, ...stack.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (d: Buffer) => {
    output.push(...String(d).split('\n').filter(Boolean));
    output.splice(0, Math.max(0, output.length - 50)); // the last lines only, for an error message
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = () => child.exitCode !== null || child.signalCode !== null;

  const request = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${stack.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const close = async () => {
    if (exited()) return;
    const gone = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  };

  try {
    const answer = await waitFor(
      'the API process to answer /healthz',
      async () => (exited() ? 'exited' : (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) || undefined),
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    if (answer === 'exited') throw new Error(`the API process exited: ${output.slice(-5).join(' | ')}`);
  } catch (err) {
    await close();
    throw err;
  }
  return { url, pid: child.pid!, request, close };
}
