// The processes `npm run bench` starts: each by its PID, each stopped by its PID (SIGTERM, then
// SIGKILL after a deadline), never by name. Output goes to a log file, not through this process.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OUTPUTS } from '../scripts/lib/build.mjs';

export const REPO = fileURLToPath(new URL('../', import.meta.url));
export const LOG_DIR = path.join(REPO, '.dockyard', 'bench', 'logs');
export const PROFILE_DIR = path.join(REPO, '.dockyard', 'bench', 'profiles');
export const PROFILING = process.env.BENCH_PROFILE === '1';

export interface Proc {
  label: string;
  pid: number;
  running(): boolean;
  exited: Promise<number>;
  /** SIGTERM its PID, SIGKILL after graceMs; resolves once it exited */
  stop(graceMs?: number): Promise<void>;
}

const started = new Set<Proc>();

/** Every process this run started and that still runs (for the clean-up on a signal or an error). */
export const runningProcs = () => [...started].filter((p) => p.running());

function track(label: string, child: ChildProcess): Proc {
  const exited = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : 143))));
  const running = () => child.exitCode === null && child.signalCode === null;
  const proc: Proc = {
    label,
    pid: child.pid!,
    running,
    exited,
    async stop(graceMs = 15_000) {
      if (!running()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => running() && child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  started.add(proc);
  void exited.then(() => started.delete(proc));
  return proc;
}

/** The node arguments that run an app: the compiled bundle when scripts/bench.mjs built one, else its sources through tsx. */
export function appArgs(app: 'api' | 'worker' | 'migrate', profileName?: string): string[] {
  const dist = process.env.BENCH_APP_MODE === 'dist';
  const file = {
    api: dist ? 'apps/api/dist/main.js' : 'apps/api/src/main.ts',
    worker: dist ? 'apps/worker/dist/main.js' : 'apps/worker/src/main.ts',
    migrate: dist ? 'packages/shared/dist/migrate.js' : 'packages/shared/src/db/migrate-cli.ts',
  }[app];
  const profile = PROFILING && profileName ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${profileName}.cpuprofile`] : [];
  // the node flags production gives the process (scripts/lib/build.mjs: the V8 heap flags)
  const flags = OUTPUTS.find((o) => o.name === app)?.nodeFlags ?? [];
  return [...profile, ...flags, ...(dist ? ['--enable-source-maps'] : ['--import', 'tsx']), path.join(REPO, file)];
}

/** Start `node <args>` with its stdout and stderr in LOG_DIR/<label>.log (or this process's, with `inherit`). */
export function startNode(label: string, args: string[], env: Record<string, string>, { inherit = false } = {}): Proc {
  mkdirSync(LOG_DIR, { recursive: true });
  const log = inherit ? 'inherit' : openSync(path.join(LOG_DIR, `${label}.log`), 'a');
  const child = spawn(process.execPath, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
  if (typeof log === 'number') closeSync(log);
  return track(label, child);
}

/** Run `node <args>` to its end; throws with the tail of its log when it exits non-zero. */
export async function runNode(label: string, args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<void> {
  const proc = startNode(label, args, env);
  const timer = setTimeout(() => void proc.stop(1000), timeoutMs);
  const code = await proc.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${label} exited ${code}: ${logTail(label)}`);
}

export function logTail(label: string, lines = 8): string {
  try {
    return readFileSync(path.join(LOG_DIR, `${label}.log`), 'utf8').trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '(no log)';
  }
}

/** Start bench/<script>.ts with its input as JSON in BENCH_INPUT, stdout piped, stderr to LOG_DIR/<script>.log. */
function spawnHelper(script: string, input: unknown) {
  mkdirSync(LOG_DIR, { recursive: true });
  const log = openSync(path.join(LOG_DIR, `${script}.log`), 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'bench', `${script}.ts`)], {
    cwd: REPO,
    env: { ...process.env, BENCH_INPUT: JSON.stringify(input) },
    stdio: ['ignore', 'pipe', log],
  });
  closeSync(log);
  const proc = track(script, child);
  return { child, proc };
}

/**
 * Run a bench/<script>.ts helper as a process of its own: its input as JSON in BENCH_INPUT, its
 * answer the JSON of its last stdout line. Its stderr goes to LOG_DIR/<script>.log.
 */
export async function runHelper<T>(script: string, input: unknown, timeoutMs = 120_000): Promise<T> {
  const { child, proc } = spawnHelper(script, input);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += String(d)));
  const timer = setTimeout(() => void proc.stop(1000), timeoutMs);
  const code = await proc.exited;
  clearTimeout(timer);
  const last = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !last.startsWith('{')) throw new Error(`bench/${script}.ts exited ${code}: ${logTail(script)}`);
  return JSON.parse(last) as T;
}

/** A long-running bench/<script>.ts helper (e.g. the bare API); resolves with it and its first stdout line as JSON. */
export async function startHelper<T>(script: string, input: unknown, timeoutMs = 30_000): Promise<{ proc: Proc; ready: T }> {
  const { child, proc } = spawnHelper(script, input);
  const timer = setTimeout(() => void proc.stop(1000), timeoutMs);
  const line = await Promise.race([
    new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(String(d).split('\n')[0]!))),
    proc.exited.then(() => ''),
  ]);
  clearTimeout(timer);
  if (!line.startsWith('{')) throw new Error(`bench/${script}.ts did not start: ${logTail(script)}`);
  child.stdout!.resume();
  return { proc, ready: JSON.parse(line) as T };
}

/** Peak resident memory of a process, sampled from /proc/<pid>/status every 100 ms until stopped. */
export function sampleRss(pid: number): { stop(): number } {
  let peakKb = 0;
  const read = () => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      /* exited: keep the peak seen */
    }
  };
  read();
  const timer = setInterval(read, 100);
  return {
    stop() {
      clearInterval(timer);
      read();
      return peakKb / 1024;
    },
  };
}

/** A free loopback port (the kernel's choice; released just before the process that binds it starts). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}
