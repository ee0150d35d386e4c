// `npm run bench` (started by scripts/bench.mjs on its services): issue 11's targets, each next
// to its baseline measured in the same run on the same Postgres, Redis and Docker engine. The API
// and the worker run as processes of their own; the load comes from processes of their own.
// BENCH_ONLY=p1,p3 runs a subset (p5 comes with p2 and p3); `placement`, `failover` run bench/fleet.ts.
// BENCH_PROFILE=1 restarts the API and the worker per phase with --cpu-prof and summarises them.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { createPlain } from './docker-direct.ts';
import { benchEventStorm, benchIdleIntake, benchRead, benchRestartIntake } from './intake-phases.ts';
import { LOG_DIR, PROFILE_DIR, PROFILING, REPO, runningProcs, startNode } from './procs.ts';
import { summarise } from './profile-summary.ts';
import { benchBurst, benchRestart } from './restart-phases.ts';
import { inParallel, provision, startBench, type Bench } from './stack.ts';
import { table, writeResults } from './targets.ts';

const PHASES = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'] as const;
const FLEET = ['placement', 'failover'];
const only = (process.env.BENCH_ONLY ?? PHASES.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
const unknown = only.filter((b) => !(PHASES as readonly string[]).includes(b) && !FLEET.includes(b));
if (unknown.length) throw new Error(`BENCH_ONLY: unknown ${unknown.join(', ')} (known: ${[...PHASES, ...FLEET].join(', ')})`);
const wanted = (p: (typeof PHASES)[number]) => only.includes(p) || ((p === 'p2' || p === 'p3') && only.includes('p5'));
const fullRun = PHASES.every((p) => only.includes(p));
const N = Number(process.env.BENCH_WORKSPACES ?? 100);
const DEADLINE_S = Number(process.env.BENCH_DEADLINE_S ?? 900);

let bench: Bench | undefined;
let closing: Promise<void> | undefined;
/** Stop what this run started (each by its PID) and remove what it made; once. */
function close(): Promise<void> {
  closing ??= (async () => {
    try {
      await bench?.close();
    } catch (err) {
      console.error(`[bench] clean-up: ${(err as Error).message}`);
    }
    await Promise.all(runningProcs().map((p) => p.stop(5000)));
  })();
  return closing;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void close().finally(() => process.exit(130)));
}
const deadline = setTimeout(() => {
  console.error(`[bench] error: the run passed its deadline (BENCH_DEADLINE_S=${DEADLINE_S}); stopping`);
  void close().finally(() => process.exit(1));
}, DEADLINE_S * 1000);
deadline.unref();

/** With BENCH_PROFILE=1, each phase gets a fresh API and worker whose profiles are named after it. */
async function profilePhase(name: string, worker = true): Promise<void> {
  if (!PROFILING || !bench) return;
  await bench.startApi(`api-${name}`);
  if (worker) await bench.startWorker(`worker-${name}`);
}

function machine(): string {
  const mode = process.env.BENCH_APP_MODE === 'dist' ? 'compiled (apps/*/dist, plain node)' : 'TypeScript through tsx';
  return [
    `- machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, ${os.type()} ${os.release()}`,
    `- node ${process.version}; the API and the worker run ${mode}; Postgres ${process.env.BENCH_PG_DURABILITY ?? 'durable'}`,
    `- ${N} workspaces; autocannon at 50 connections from its own process`,
  ].join('\n');
}

async function run(): Promise<number> {
  const t0 = Date.now();
  console.log(`[bench] ${machine().replaceAll('\n- ', '\n[bench] ').replace(/^- /, '')}`);
  rmSync(LOG_DIR, { recursive: true, force: true }); // the API's and the worker's logs of the last run only
  if (PROFILING) {
    rmSync(PROFILE_DIR, { recursive: true, force: true });
    mkdirSync(PROFILE_DIR, { recursive: true });
    // the bundles' source maps as they are now (a rebuild later would not match the profiles)
    for (const app of ['api', 'worker']) {
      const map = path.join(REPO, 'apps', app, 'dist', 'main.js.map');
      if (process.env.BENCH_APP_MODE === 'dist' && existsSync(map)) copyFileSync(map, path.join(PROFILE_DIR, `${app}.main.js.map`));
    }
  }
  bench = await startBench();
  await bench.startWorker('worker-setup');
  await bench.startApi('api-setup');
  const ids = await provision(bench, N);
  console.log(`[bench] ${N} workspaces online after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  let plains: Docker.Container[] = [];
  if (wanted('p1') || wanted('p2')) plains = await createPlain(bench, wanted('p2') ? N : 1);

  if (wanted('p1') || wanted('p2')) await profilePhase('restart');
  if (wanted('p1')) await benchRestart(bench, ids[0]!, plains[0]!);
  if (wanted('p2')) await benchBurst(bench, ids, plains);
  // the direct baselines' containers are done with: their loops (100 processes forking a `sleep`
  // each second) must not be the later phases' background work, which is the workspaces' own
  await inParallel(plains, 8, (c) => c.remove({ force: true }).catch(() => undefined));
  if (wanted('p3')) {
    await profilePhase('restart-intake');
    await benchRestartIntake(bench, ids);
  }
  if (wanted('p4')) {
    await profilePhase('event-storm');
    await benchEventStorm(bench, ids);
  }
  if (wanted('p6')) {
    await profilePhase('read', false);
    await benchRead(bench, ids);
  }
  if (wanted('p3')) {
    await profilePhase('idle-intake', false);
    await benchIdleIntake(bench, ids);
  }

  const md = table();
  console.log(`\n${md}\n`);
  // a profiled run's numbers carry the profiler's cost: they go with the profiles, not into latest.json
  const file = fullRun && !PROFILING ? writeResults() : undefined;
  await close();
  const kept = PROFILING ? 'a profiled run' : 'a partial run (BENCH_ONLY)';
  console.log(`[bench] ${file ? `wrote ${path.relative(REPO, file)}` : `${kept}: bench/results/latest.json left as it was`}; ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  if (PROFILING) writeProfiles(md);
  return 0;
}

/** The top self-time functions and packages of every profile, into bench/results/profile.md. */
function writeProfiles(results: string): void {
  const files = existsSync(PROFILE_DIR) ? readdirSync(PROFILE_DIR).filter((f) => f.endsWith('.cpuprofile')).sort() : [];
  const head = [`### CPU profiles (BENCH_PROFILE=1), ${new Date().toISOString()}`, '', machine(), '', 'The run, profiled (the profiler costs time):', '', results, ''];
  const text = [...head, ...files.map((f) => summarise(path.join(PROFILE_DIR, f)))].join('\n');
  const out = path.join(REPO, 'bench', 'results', 'profile.md');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, text);
  console.log(`[bench] ${files.length} profiles summarised in ${path.relative(REPO, out)} (raw: ${path.relative(REPO, PROFILE_DIR)})`);
}

/** placement, failover: the older fleet benchmarks (test stack), a process of their own. */
async function runFleet(): Promise<number> {
  console.log('[bench] running bench/fleet.ts');
  return startNode('fleet', ['--import', 'tsx', path.join(REPO, 'bench', 'fleet.ts')], {}, { inherit: true }).exited;
}

let code = 1;
try {
  if (only.some((b) => (PHASES as readonly string[]).includes(b))) code = await run();
  else code = 0;
  if (only.some((b) => FLEET.includes(b))) code = (await runFleet()) || code;
} catch (err) {
  console.error(`[bench] error: ${(err as Error).stack ?? err}`);
  await close();
  code = 1;
}
process.exit(code);
