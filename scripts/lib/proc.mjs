// Process helpers for the bootstrap scripts. Plain Node, no dependencies: these run before `pnpm install`.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export function say(message) {
  console.log(`[dockyard] ${message}`);
}

export function fail(message) {
  console.error(`[dockyard] error: ${message}`);
  process.exit(1);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Run a command with inherited stdio; resolves with its exit code (or rejects if it can't start). */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'inherit', ...opts });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** Run a command, throw with its output when it fails. */
export function runOrThrow(cmd, args, opts = {}) {
  const result = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
    throw new Error(`${cmd} ${args.join(' ')} exited ${result.status}${output ? `:\n${output}` : ''}`);
  }
  return result.stdout ?? '';
}

/** Run a command and return its trimmed stdout, or null if it fails or does not exist. */
export function capture(cmd, args, opts = {}) {
  const result = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  return result.status === 0 ? result.stdout.trim() : null;
}

/** The absolute path of a program: the first existing candidate, else a PATH lookup, else null. */
export function findProgram(name, candidates = []) {
  for (const candidate of candidates) if (existsSync(candidate)) return candidate;
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** SIGTERM a pid (or a process group when group is true), wait, SIGKILL after the deadline. */
export async function stopPid(pid, { label, graceMs = 15000, group = false } = {}) {
  const target = group ? -pid : pid;
  const signal = (sig) => {
    try {
      process.kill(target, sig);
    } catch {
      /* already gone */
    }
  };
  if (!isAlive(pid)) return;
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    say(`${label ?? pid} did not stop within ${graceMs / 1000}s, sending SIGKILL`);
    signal('SIGKILL');
    while (isAlive(pid)) await sleep(50);
  }
}

/**
 * Poll check() until it returns a truthy value; print progress every few seconds;
 * throw after timeoutMs with a message pointing at the log file.
 */
export async function waitFor(label, check, { timeoutMs = 60000, logFile, everyMs = 250 } = {}) {
  const started = Date.now();
  let lastReport = started;
  for (;;) {
    // A check signals "stop waiting, this will never succeed" by throwing an error with `fatal: true`.
    const value = await check().catch((err) => {
      if (err?.fatal) throw err;
      return null;
    });
    if (value) return value;
    const now = Date.now();
    if (now - started > timeoutMs) {
      const hint = logFile ? `; see ${logFile}` : '';
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${label}${hint}`);
    }
    if (now - lastReport >= 3000) {
      say(`waiting for ${label}… ${Math.round((now - started) / 1000)}s`);
      lastReport = now;
    }
    await sleep(everyMs);
  }
}

export function isPortFree(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** The preferred port if it is free, else one the kernel picks. */
export async function pickPort(preferred) {
  if (preferred && (await isPortFree(preferred))) return preferred;
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export function shortHash(text) {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

export function fatalError(message) {
  return Object.assign(new Error(message), { fatal: true });
}

export const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
