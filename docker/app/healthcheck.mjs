// The image's HEALTHCHECK. The api: GET /healthz answers 200. The worker: its Docker engine answers
// /_ping through DOCKER_HOST (a worker that cannot open the socket, e.g. without the socket's group,
// is unhealthy). migrate, being one-shot, and any other command: healthy while running.
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';

/** Which app this container runs, from the processes' command lines (PID 1 or under an init). */
function runningApp() {
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const app = /\/app\/apps\/(api|worker)\/dist\/main\.js/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))?.[1];
      if (app) return app;
    } catch {
      /* gone meanwhile */
    }
  }
  return null;
}

function get(target, path) {
  return new Promise((resolve, reject) => {
    const req = http.get({ ...target, path, timeout: 4000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in 4 s`)));
    req.on('error', reject);
  });
}

function apiTarget(env) {
  const host = !env.HOST || env.HOST === '0.0.0.0' || env.HOST === '::' ? '127.0.0.1' : env.HOST;
  return { host, port: Number(env.PORT || 8080) };
}

function engineTarget(dockerHost = 'unix:///var/run/docker.sock') {
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port || 2375) };
}

const app = runningApp();
const [what, target, path] =
  app === 'api' ? ['the api', apiTarget(process.env), '/healthz']
  : app === 'worker' ? ["the worker's Docker engine", engineTarget(process.env.DOCKER_HOST), '/_ping']
  : [null];
if (!what) process.exit(0);
try {
  const status = await get(target, path);
  if (status !== 200) throw new Error(`answered ${status}`);
  console.log(`${what}: ok`);
} catch (err) {
  console.log(`${what}: ${err.message}`);
  process.exit(1);
}
