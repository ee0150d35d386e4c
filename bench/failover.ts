// Host failover: a fleet of three real engines, a worker process per host and the API process;
// host-2 dies (worker, containers, engine) and its workspaces come back online on the others.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type pg from 'pg';
import { startStack, type Stack } from '../test/helpers/stack.ts';
import { killHostEngine, startHostEngine, type HostEngine } from '../test/helpers/engines.ts';
import { dockerFor, removeLabelled } from '../test/helpers/docker.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { spawnApi } from './api-process.ts';
import { max, median, note, row } from './report.ts';

export const FAILOVER_HOSTS = ['host-1', 'host-2', 'host-3'];
const VICTIM = 'host-2';
const BASELINE_HOST = 'host-1';
const PER_HOST = 10;
/** Short fleet timings (those of test/fleet.host-loss.test.ts): heartbeat 300 ms, fence after 2.5 s, lost after 5 s. */
const LOST_AFTER_MS = 5_000;
const FLEET = {
  HOST_HEARTBEAT_MS: '300',
  HOST_FENCE_AFTER_MS: '2500',
  HOST_LOST_AFTER_MS: String(LOST_AFTER_MS),
  RECONCILE_INTERVAL_MS: '500',
  PLACEMENT: 'spread',
  LOG_LEVEL: 'warn',
};

interface RunResult {
  /** host killed → the last of its workspaces online elsewhere */
  failoverMs: number;
  /** host killed → its workspaces offline (the fleet watch declared it lost) */
  detectedMs: number;
  /** POST /v1/restarts for a healthy host's workspaces → the last of them online again */
  restartMs: number;
  /** the host whose worker ran the fleet watch (the leader) when host-2 was killed */
  fleetLeader: string | undefined;
}

/** Postgres's clock: the events' `at` come from it, so both ends of a measurement do. */
async function serverNow(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ now: Date }>('select clock_timestamp() as now');
  return rows[0]!.now.getTime();
}

/** The latest time at which each workspace went `to`, after `since` (undefined until all did). */
async function lastTransition(pool: pg.Pool, ids: string[], to: string, since: number): Promise<number | undefined> {
  const { rows } = await pool.query<{ workspace_id: string; at: Date }>(
    `select workspace_id, min(at) as at from workspace_events
      where workspace_id = any($1::uuid[]) and to_status = $2::workspace_status and at > $3::timestamptz
      group by workspace_id`,
    [ids, to, new Date(since)],
  );
  return rows.length === ids.length ? Math.max(...rows.map((r) => r.at.getTime())) : undefined;
}

/** Which host's worker last took the fleet-watch lock, from the workers' logs ("leadership acquired"). */
function fleetLeader(logLines: string[]): string | undefined {
  let leader: string | undefined;
  for (const line of logLines) {
    if (!line.includes('leadership acquired')) continue;
    try {
      const entry = JSON.parse(line) as { key?: string; host?: string };
      if (entry.key?.endsWith(':leader:fleet')) leader = entry.host;
    } catch {
      /* not a JSON log line */
    }
  }
  return leader;
}

async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = once(child, 'exit');
  child.kill('SIGKILL');
  await gone;
}

/**
 * One run on a fresh stack: 30 workspaces 10/10/10, the restart baseline on host-1, then host-2
 * dies. `leader`'s worker starts first and takes the fleet-watch lock; the others start after.
 */
async function runOnce(stack: Stack, engines: HostEngine[], run: number, leader: string, group: string): Promise<RunResult> {
  const engine = (name: string) => engines.find((e) => e.name === name)!;
  // the workers are the stack's children: stack.close() SIGKILLs those still running;
  // their logs (info: who leads the fleet watch) go to stack.logLines
  const spawnHost = (h: string) => stack.spawnWorker({ HOST_NAME: h, DOCKER_HOST: engine(h).host, LOG_LEVEL: 'info' });
  const workers: Record<string, ChildProcess> = { [leader]: spawnHost(leader) };
  await waitFor(`${leader} to lead the fleet watch`, async () => fleetLeader(stack.logLines) === leader || undefined, { timeoutMs: 60_000, intervalMs: 100 });
  for (const h of FAILOVER_HOSTS.filter((h) => h !== leader)) workers[h] = spawnHost(h);
  const api = await spawnApi(stack);
  try {
    await waitFor(
      'the three hosts to register',
      async () => {
        const items = (await api.request('GET', '/v1/hosts')).body.items as Array<{ name: string; state: string }>;
        return FAILOVER_HOSTS.every((h) => items.some((i) => i.name === h && i.state === 'ready')) || undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );

    const made = await Promise.all(
      Array.from({ length: PER_HOST * FAILOVER_HOSTS.length }, (_, i) => api.request('POST', '/v1/workspaces', { name: `failover-${run}-${i}`, runtime: 'busybox' })),
    );
    const ids = Object.fromEntries(FAILOVER_HOSTS.map((h) => [h, made.filter((m) => m.body.workspace.host === h).map((m) => m.body.workspace.id as string)]));
    const spread = FAILOVER_HOSTS.map((h) => ids[h]!.length);
    if (spread.some((n) => n !== PER_HOST)) throw new Error(`placement spread ${spread.join('/')}, wanted ${PER_HOST} each`);
    const all = Object.values(ids).flat();
    const allOnline = async () => {
      const { rows } = await stack.pool.query<{ n: number }>(
        `select count(*)::int as n from workspaces where id = any($1::uuid[]) and status = 'online' and running_job_id is null and queued_job_id is null`,
        [all],
      );
      return rows[0]!.n === all.length || undefined;
    };
    await waitFor('30 workspaces online and idle', allOnline, { timeoutMs: 180_000, intervalMs: 250 });

    // Baseline: the same fleet restarts a healthy host's 10 workspaces (restart jobs, as a failover's).
    const restartAt = await serverNow(stack.pool);
    const accepted = await api.request('POST', '/v1/restarts', { ids: ids[BASELINE_HOST] });
    if (accepted.body?.count !== PER_HOST) throw new Error(`POST /v1/restarts answered ${accepted.status}: ${JSON.stringify(accepted.body)}`);
    const restartedAt = await waitFor('the restarted workspaces online', () => lastTransition(stack.pool, ids[BASELINE_HOST]!, 'online', restartAt), {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    await waitFor('30 workspaces online and idle after the restarts', allOnline, { timeoutMs: 60_000, intervalMs: 100 });

    // The machine dies: its worker (heartbeats stop here, so the clock starts here), its containers, its engine.
    const ledBy = fleetLeader(stack.logLines);
    const killedAt = await serverNow(stack.pool);
    await killProcess(workers[VICTIM]!);
    const docker2 = dockerFor(engine(VICTIM).host);
    const mine = await docker2.listContainers({ filters: { label: [`dockyard.installation=${stack.installationId}`] } });
    await Promise.all(mine.map((c) => docker2.getContainer(c.Id).kill().catch(() => undefined)));
    await killHostEngine(engine(VICTIM), group);

    const victims = ids[VICTIM]!;
    const onlineAt = await waitFor(
      `${VICTIM}'s workspaces online elsewhere`,
      async () => {
        const { rows } = await stack.pool.query<{ n: number }>(
          `select count(*)::int as n from workspaces where id = any($1::uuid[]) and status = 'online' and host <> $2`,
          [victims, VICTIM],
        );
        return rows[0]!.n === victims.length ? lastTransition(stack.pool, victims, 'online', killedAt) : undefined;
      },
      { timeoutMs: LOST_AFTER_MS + 60_000, intervalMs: 100 },
    );
    const offlineAt = await lastTransition(stack.pool, victims, 'offline', killedAt);
    return { failoverMs: onlineAt - killedAt, detectedMs: (offlineAt ?? onlineAt) - killedAt, restartMs: restartedAt - restartAt, fleetLeader: ledBy };
  } finally {
    await api.close();
  }
}

/**
 * `runs` fresh fleets with host-1 leading the fleet watch, then one where the killed host-2 led it
 * (a new leader first waits a whole HOST_LOST_AFTER_MS of its own before it judges any host).
 * After each run the killed engine is started again (so the run's leftovers on it can be removed
 * by label) and every engine is cleared of the run's objects; `engines` is updated in place.
 */
export async function benchFailover(engines: HostEngine[], group: string, runs: number): Promise<void> {
  const results: RunResult[] = [];
  for (let run = 0; run <= runs; run++) {
    const stack = await startStack({ worker: false, localHost: false, env: FLEET });
    try {
      results.push(await runOnce(stack, engines, run, run < runs ? BASELINE_HOST : VICTIM, group));
    } finally {
      await stack.close(); // SIGKILLs the run's workers; their containers stay on the engines
      const index = engines.findIndex((e) => e.name === VICTIM);
      if (!(await dockerFor(engines[index]!.host).ping().then(() => true, () => false))) engines[index] = await startHostEngine(VICTIM, group);
      for (const e of engines) await removeLabelled(dockerFor(e.host), `dockyard.test-run=${process.env.DOCKYARD_TEST_RUN_ID}`);
    }
  }
  const s = (ms: number) => ms / 1000;
  const baseline = (r: RunResult) => LOST_AFTER_MS + r.restartMs;
  const usual = results.slice(0, runs);
  const led = results[runs]!;
  row(`host failover, killed → last of ${PER_HOST} online (median of ${runs})`, s(median(usual.map((r) => r.failoverMs))), s(median(usual.map(baseline))), 's');
  row(`host failover, killed → last of ${PER_HOST} online (max of ${runs})`, s(max(usual.map((r) => r.failoverMs))), s(max(usual.map(baseline))), 's');
  row(`host failover, the killed host led the fleet watch`, s(led.failoverMs), s(baseline(led)), 's');
  note(`baseline: HOST_LOST_AFTER_MS (${s(LOST_AFTER_MS)} s, the detection floor) + POST /v1/restarts of ${PER_HOST} workspaces on a healthy host → last online`);
  for (const [i, r] of results.entries()) {
    note(`run ${i + 1}: killed → offline ${s(r.detectedMs).toFixed(2)} s, → last online ${s(r.failoverMs).toFixed(2)} s (${r.fleetLeader ?? 'unknown'} led the fleet watch); restart of ${PER_HOST} ${s(r.restartMs).toFixed(2)} s`);
  }
}
