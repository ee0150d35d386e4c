// A project-local Redis under <stateDir>/redis, spawned detached with its PID recorded.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fatalError, findProgram, isAlive, pickPort, say, stopPid, waitFor } from './proc.mjs';
import { requireProgram } from './system.mjs';

const PREFERRED_PORT = { '.dockyard': 63799, test: 63809, bench: 63819 };

/** Resolves true when a Redis server on host:port answers PING with +PONG. */
export function pingRedis(port, host = '127.0.0.1', timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    let reply = '';
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

async function stopRedis(pid) {
  say('stopping Redis');
  await stopPid(pid, { label: 'redis-server', graceMs: 10000 });
}

function readState(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/** Start (or reuse) the project-local Redis; returns { url, stop }. */
export async function ensureRedis({ stateDir, adopt = false }) {
  const redisServer = await requireProgram({
    what: 'redis-server',
    find: () => findProgram('redis-server'),
    aptPackages: ['redis-server'],
  });
  const dir = path.join(stateDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const stateFile = path.join(dir, 'redis.json');
  const logFile = path.join(dir, 'redis.log');

  const previous = readState(stateFile);
  if (previous && isAlive(previous.pid) && (await pingRedis(previous.port))) {
    say(`reusing Redis already running on 127.0.0.1:${previous.port} (pid ${previous.pid})${adopt ? '' : '; it will be left running'}`);
    return { url: `redis://127.0.0.1:${previous.port}`, stop: adopt ? () => stopRedis(previous.pid) : async () => {} };
  }

  const port = await pickPort(previous?.port ?? PREFERRED_PORT[path.basename(stateDir)] ?? 63799);
  say(`starting Redis on 127.0.0.1:${port} (log: ${logFile})`);
  const log = openSync(logFile, 'a');
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no'];
  const child = spawn(redisServer, args, { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  const pid = child.pid;
  if (!pid) throw new Error(`redis-server did not start; see ${logFile}`);
  writeFileSync(stateFile, JSON.stringify({ pid, port }));

  const stop = () => stopRedis(pid);
  try {
    await waitFor('Redis', async () => {
      if (!isAlive(pid)) throw fatalError('redis-server exited');
      return pingRedis(port);
    }, { timeoutMs: 30000, logFile });
  } catch (err) {
    await stop();
    throw new Error(`Redis did not start on port ${port}; see ${logFile}`, { cause: err });
  }
  return { url: `redis://127.0.0.1:${port}`, stop };
}
