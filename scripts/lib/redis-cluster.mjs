// A throwaway 3-master Redis Cluster on loopback, from the system's redis-server and redis-cli.
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pingRedis } from './redis.mjs';
import { findProgram, isPortFree, say, stopPid, waitFor } from './proc.mjs';
import { requireProgram } from './system.mjs';

/** Start three cluster-enabled redis-servers in `dir` and join them; returns { url, stop } (stops them by PID). */
export async function startRedisCluster(dir) {
  const redisServer = await requireProgram({ what: 'redis-server', find: () => findProgram('redis-server'), aptPackages: ['redis-server'] });
  const redisCli = await requireProgram({ what: 'redis-cli', find: () => findProgram('redis-cli'), aptPackages: ['redis-tools'] });
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // each node also listens on port + 10000 (the cluster bus): pick ports whose bus port is free too
  const ports = [];
  for (let tries = 0; ports.length < 3 && tries < 200; tries++) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    if (!ports.includes(port) && (await isPortFree(port)) && (await isPortFree(port + 10000))) ports.push(port);
  }
  if (ports.length < 3) throw new Error('no free loopback ports for a Redis Cluster');
  const pids = [];
  const stop = async () => {
    for (const pid of pids) await stopPid(pid, { label: 'redis-server (cluster)', graceMs: 5000 });
  };
  try {
    for (const port of ports) {
      const log = openSync(path.join(dir, `redis-${port}.log`), 'a');
      const child = spawn(
        redisServer,
        ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--dir', dir, '--save', '', '--appendonly', 'no'],
        { detached: true, stdio: ['ignore', log, log] },
      );
      closeSync(log);
      child.unref();
      pids.push(child.pid);
    }
    for (const port of ports) await waitFor(`redis-server :${port}`, () => pingRedis(port), { timeoutMs: 15000 });
    execFileSync(redisCli, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'ignore', timeout: 30000 });
    for (const port of ports) {
      await waitFor(`cluster state ok on :${port}`, async () => execFileSync(redisCli, ['-p', String(port), 'cluster', 'info']).toString().includes('cluster_state:ok'), { timeoutMs: 30000 });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  say(`Redis Cluster of 3 masters on 127.0.0.1:${ports.join(',')}`);
  return { url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`, stop };
}
