import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { REPO } from './helpers/stack.ts';
import { databaseUrl, RUN_LABEL, testEnv } from './helpers/env.ts';
import { waitFor } from './helpers/wait.ts';
import { dockerFor } from './helpers/docker.ts';

const HOSTS = ['host-1', 'host-2', 'host-3'];
/** Short fleet timings (as in fleet.host-loss.test.ts): a heartbeat every 300 ms, lost after 5 s of silence. */
const FLEET = { HOST_HEARTBEAT_MS: '300', HOST_FENCE_AFTER_MS: '2500', HOST_LOST_AFTER_MS: '5000', RECONCILE_INTERVAL_MS: '500' };

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

/** pid → { ppid, state } for every process, from /proc/<pid>/stat (the comm field may hold spaces). */
function processTable(): Map<number, { ppid: number; state: string }> {
  const table = new Map<number, { ppid: number; state: string }>();
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state = '', ppid = '0'] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(entry), { ppid: Number(ppid), state });
    } catch {
      /* gone meanwhile */
    }
  }
  return table;
}

/** Every process descended from `root` (its apps' process trees, its engines and their containerd). */
function descendants(root: number): number[] {
  const table = processTable();
  const found: number[] = [];
  for (let frontier = [root]; frontier.length; ) {
    const next = [...table].filter(([, p]) => frontier.includes(p.ppid)).map(([pid]) => pid);
    found.push(...next);
    frontier = next;
  }
  return found;
}

const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
const environ = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
const argAfter = (args: string[], flag: string) => args[args.indexOf(flag) + 1] ?? '';
/** Alive and not a zombie waiting for its parent. */
const isRunning = (pid: number) => {
  const p = processTable().get(pid);
  return p !== undefined && p.state !== 'Z';
};

/** `LOCAL_HOSTS=3 npm start`: three engines, a worker each, one API; SIGTERM stops all it started. */
describe('LOCAL_HOSTS npm start', () => {
  const t = testEnv();
  const stateDir = join(REPO, '.dockyard', 'test', `npm-start-${t.runId}`);
  let child: ChildProcess | undefined;
  let started: number[] = [];
  const execDirs: string[] = [];

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, 'SIGTERM');
      await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 60_000))]);
    }
    // only what this test's npm start started, and only if it failed to stop it: gently first
    // (a dockerd stops its containers and unmounts), then for good
    const left = started.filter(isRunning);
    for (const pid of left) process.kill(pid, 'SIGTERM');
    await waitFor('leftovers to stop', async () => !left.some(isRunning) || undefined, { timeoutMs: 30_000 }).catch(() => undefined);
    for (const pid of left.filter(isRunning)) process.kill(pid, 'SIGKILL');
    for (const dir of [stateDir, ...execDirs]) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch (err) {
        console.error(`could not remove ${dir}: ${(err as Error).message}`);
      }
    }
  }, 120_000);

  it('refuses a LOCAL_HOSTS that is not a whole number from 1 to 9, naming it', () => {
    for (const value of ['0', '10', 'three', '-1', '2.5']) {
      const run = spawnSync(process.execPath, ['scripts/start.mjs'], {
        cwd: REPO,
        env: { ...process.env, LOCAL_HOSTS: value, DOCKYARD_STATE_DIR: stateDir },
        encoding: 'utf8',
        timeout: 10_000,
      });
      expect(run.status, value).toBe(1);
      expect(run.stderr, value).toContain('LOCAL_HOSTS must be a whole number from 1 to 9');
      expect(run.stderr, value).toContain(`got "${value}"`);
    }
  });

  it('runs host-1..host-3 on engines of their own, spreads workspaces over them, survives losing host-2, and stops everything on SIGTERM', async () => {
    const db = `dockyard_t_${t.runId}_localhosts`;
    const admin = new pg.Client({ connectionString: t.adminDatabaseUrl });
    await admin.connect();
    await admin.query(`create database ${db}`);
    await admin.end();
    const port = await freePort();
    const token = 'local-hosts-test-token-'.padEnd(40, 'x');
    const { DOCKER_HOST: _suiteEngine, ...env } = process.env; // the hosts bring their own engines
    let output = '';
    const t0 = Date.now();
    child = spawn(process.execPath, ['scripts/start.mjs'], {
      cwd: REPO,
      detached: true, // its own process group, as in a terminal
      env: {
        ...env,
        LOCAL_HOSTS: '3',
        DOCKYARD_STATE_DIR: stateDir,
        DATABASE_URL: databaseUrl(t.adminDatabaseUrl, db),
        REDIS_URL: t.redisUrl,
        API_TOKEN: token,
        PORT: String(port),
        QUEUE_PREFIX: `localhosts${t.runId}`,
        DOCKER_LABELS: `${RUN_LABEL}=${t.runId}`,
        SHUTDOWN_TIMEOUT_MS: '5000',
        ...FLEET,
        LOG_PRETTY: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const base = `http://127.0.0.1:${port}`;
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }).then((r) => r.json());

    await waitFor('Dockyard is ready', async () => output.includes('Dockyard is ready') || undefined, { timeoutMs: 90_000, intervalMs: 200 });
    const readyAfterMs = Date.now() - t0;
    // the banner is written a line at a time: its host lines may arrive after its first one
    const hostLine = (name: string) => new RegExp(`\\[dockyard\\]\\s+${name}\\s+engine unix://`);
    await waitFor('the ready banner', async () => HOSTS.every((name) => hostLine(name).test(output)) || undefined, { timeoutMs: 5_000, intervalMs: 50 });
    for (const name of HOSTS) expect(output).toMatch(hostLine(name));

    // the engines: three dockerds started by npm start, each naming its host in its data-root and socket
    started = descendants(child.pid!);
    const dockerds = started.filter((pid) => cmdline(pid)[0]?.endsWith('dockerd'));
    expect(dockerds).toHaveLength(3);
    const socketOf: Record<string, string> = {};
    for (const pid of dockerds) {
      const args = cmdline(pid);
      const name = /\/hosts\/(host-\d)\//.exec(argAfter(args, '--data-root'))?.[1] ?? '';
      expect(HOSTS).toContain(name);
      expect(argAfter(args, '-H')).toContain(name);
      socketOf[name] = argAfter(args, '-H');
      execDirs.push(dirname(argAfter(args, '--exec-root')));
    }
    expect(Object.keys(socketOf).sort()).toEqual(HOSTS);

    const hosts = (await api('/v1/hosts')).items as Array<{ name: string; state: string }>;
    expect(hosts.map((h) => [h.name, h.state]).sort()).toEqual(HOSTS.map((h) => [h, 'ready']));

    // spread placement: one workspace per host, each running on its own host's engine
    const made = await Promise.all(
      HOSTS.map((_, i) => api('/v1/workspaces', { method: 'POST', body: JSON.stringify({ name: `spread-${i}`, runtime: 'busybox' }) })),
    );
    expect(made.map((m) => m.workspace.host).sort()).toEqual(HOSTS);
    const online = await Promise.all(
      made.map((m) =>
        waitFor(`${m.workspace.host}'s workspace online`, async () => {
          const ws = await api(`/v1/workspaces/${m.workspace.id}`);
          return ws.status === 'online' ? ws : undefined;
        }, { timeoutMs: 30_000, intervalMs: 200 }),
      ),
    );
    const containerPids: number[] = [];
    for (const ws of online) {
      const state = (await dockerFor(socketOf[ws.host]!).getContainer(ws.containerName).inspect()).State;
      expect(state.Running, ws.host).toBe(true);
      containerPids.push(state.Pid, processTable().get(state.Pid)!.ppid); // the container and its shim
    }
    started = [...new Set([...descendants(child.pid!), ...containerPids])];
    const onlineAfterMs = Date.now() - t0;

    // host-2's worker dies: npm start keeps running, stops host-2's engine too, and the fleet moves its workspace
    const worker2 = started.find((pid) => processTable().get(pid)?.ppid === child!.pid && environ(pid).includes('HOST_NAME=host-2'))!;
    const dockerd2 = dockerds.find((pid) => argAfter(cmdline(pid), '-H') === socketOf['host-2'])!;
    const onHost2 = online.find((ws) => ws.host === 'host-2')!;
    process.kill(-worker2, 'SIGKILL');
    await waitFor('the host loss line', async () => output.includes("host-2's worker exited (code 137); the fleet treats host-2 as lost after HOST_LOST_AFTER_MS") || undefined);
    await waitFor("host-2's engine to stop", async () => !isRunning(dockerd2) || undefined, { timeoutMs: 30_000 });
    const moved = await waitFor("host-2's workspace online elsewhere", async () => {
      const ws = await api(`/v1/workspaces/${onHost2.id}`);
      return ws.status === 'online' && ws.host !== 'host-2' ? ws : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    expect((await api('/v1/hosts/host-2')).state).toBe('lost');
    expect((await dockerFor(socketOf[moved.host]!).getContainer(moved.containerName).inspect()).State.Running).toBe(true);
    expect(child.exitCode).toBeNull();
    const movedAfterMs = Date.now() - t0;
    started = [...new Set([...started, ...descendants(child.pid!)])];

    // SIGTERM: api, workers, engines (with containerd and the containers) all gone
    process.kill(-child.pid!, 'SIGTERM');
    const [code] = await once(child, 'exit');
    expect([0, 130, 143]).toContain(code);
    expect(started.filter(isRunning)).toEqual([]);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    console.log(
      `LOCAL_HOSTS=3: ready after ${readyAfterMs} ms, 3 workspaces online after ${onlineAfterMs} ms, ` +
        `host-2's moved after ${movedAfterMs} ms, stopped after ${Date.now() - t0} ms`,
    );
  }, 150_000);
});
