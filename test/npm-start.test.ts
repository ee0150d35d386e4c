import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import pg from 'pg';
import { REPO } from './helpers/stack.ts';
import { databaseUrl, RUN_LABEL, testEnv } from './helpers/env.ts';
import { waitFor } from './helpers/wait.ts';
import { dockerFor, removeLabelled } from './helpers/docker.ts';
import { NODE_HEAP_FLAGS } from '../scripts/lib/build.mjs';

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

/** The command lines of every process descended from `root`, from /proc. */
function descendantCommands(root: number): string[][] {
  const parent = new Map<number, number>();
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parent.set(Number(pid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone meanwhile */
    }
  }
  const found: number[] = [];
  for (let frontier = [root]; frontier.length; ) {
    frontier = [...parent].filter(([, ppid]) => frontier.includes(ppid)).map(([pid]) => pid);
    found.push(...frontier);
  }
  return found.flatMap((pid) => {
    try {
      return [readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)];
    } catch {
      return [];
    }
  });
}

/** `npm start` against the suite's services: migrations, api and worker come up; SIGTERM stops them. */
describe('npm start', () => {
  let child: ChildProcess | undefined;
  const t = testEnv();
  const db = `dockyard_t_${t.runId}_npmstart`;
  const label = `dockyard.test-stack=npmstart-${t.runId}`;
  afterAll(async () => {
    if (child && child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
    await removeLabelled(dockerFor(t.dockerHost), label);
  });

  it('brings the API up, answers /readyz 200, provisions, and stops cleanly on SIGTERM', async () => {
    const admin = new pg.Client({ connectionString: t.adminDatabaseUrl });
    await admin.connect();
    await admin.query(`create database ${db}`);
    await admin.end();
    const port = await freePort();
    const token = 'start-test-token-'.padEnd(40, 'x');
    let output = '';
    child = spawn(process.execPath, ['scripts/start.mjs'], {
      cwd: REPO,
      detached: true, // its own process group, as in a terminal
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl(t.adminDatabaseUrl, db),
        REDIS_URL: t.redisUrl,
        DOCKER_HOST: t.dockerHost,
        API_TOKEN: token,
        PORT: String(port),
        QUEUE_PREFIX: `npmstart${t.runId}`,
        DOCKER_LABELS: `${RUN_LABEL}=${t.runId},${label}`,
        LOG_PRETTY: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const base = `http://127.0.0.1:${port}`;
    await waitFor('Dockyard is ready', async () => output.includes('Dockyard is ready') || undefined, { timeoutMs: 120_000 });
    // the banner is written a line at a time: its lines may arrive after the first one
    await waitFor('the ready banner', async () => output.includes('  secrets:') || undefined, { timeoutMs: 5_000, intervalMs: 50 });
    expect(output).toContain(`${base}/admin/queues`);
    expect(output).not.toContain(token); // an operator-set token is never echoed
    // the api and the worker run their compiled builds with plain node, as production does: no tsx
    const commands = descendantCommands(child.pid!);
    for (const app of ['api', 'worker']) {
      const found = commands.find((c) => c.at(-1)?.endsWith(`apps/${app}/dist/main.js`));
      expect(found?.[0], `the ${app}: ${JSON.stringify(commands)}`).toBe(process.execPath);
      // with their V8 heap flags (README, "Memory")
      expect(found).toEqual(expect.arrayContaining(NODE_HEAP_FLAGS));
    }
    expect(commands.filter((c) => c.some((arg) => arg.includes('tsx')))).toEqual([]);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    const created = await fetch(`${base}/v1/workspaces`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'from-npm-start', runtime: 'busybox' }),
    }).then((r) => r.json());
    await waitFor('the sample runtime to provision', async () => {
      const ws = await fetch(`${base}/v1/workspaces/${created.workspace.id}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json());
      return ws.status === 'online' || undefined;
    });

    process.kill(-child.pid!, 'SIGTERM');
    const [code] = await once(child, 'exit');
    expect([0, 130, 143]).toContain(code);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
