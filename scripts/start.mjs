// `npm start`: install what is missing, start (or reuse) services, migrate, run the api and the worker.
// `LOCAL_HOSTS=N npm start`: a fleet on one machine, N Docker engines (host-1 … host-N), a worker for each.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveApiToken } from './lib/api-token.mjs';
import { resolveSecretsKey, secretsKeyEnv } from './lib/secrets-key.mjs';
import { ensureDeps, ensurePnpm } from './lib/bootstrap.mjs';
import { builtCommand, ensureBuilt } from './lib/build.mjs';
import { killGroup, onShutdownSignals, spawnGroup, stopGroup } from './lib/children.mjs';
import { probe } from './lib/http-probe.mjs';
import { ensureRuntimeImage } from './lib/image.mjs';
import { parseLocalHosts, startLocalHosts, stopLocalHosts, watchEngines } from './lib/local-hosts.mjs';
import { fail, fatalError, run, say, waitFor } from './lib/proc.mjs';
import { ensureServices } from './lib/services.mjs';

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stateDir = path.resolve(process.env.DOCKYARD_STATE_DIR || path.join(repoDir, '.dockyard'));
let localHostCount = null;
try {
  localHostCount = parseLocalHosts(process.env.LOCAL_HOSTS);
} catch (err) {
  fail(err.message);
}
const children = [];
let services = null;
let localHosts = [];
let stopWatchingEngines = () => {};
let settingUp = true;
let interrupted = false;
let stopping = false;

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  stopWatchingEngines();
  await Promise.all(children.map((c) => stopGroup(c, { label: c.name, graceMs: 20000 })));
  await stopLocalHosts(localHosts);
  if (services) await services.stop();
  say('stopped');
  process.exit(code);
}

onShutdownSignals(
  () => {
    if (settingUp) interrupted = true;
    else void shutdown(130);
  },
  () => {
    for (const c of children) killGroup(c);
    process.exit(130);
  },
);

function appEnv(token, secrets) {
  const port = process.env.PORT ?? '8080';
  const host = process.env.HOST ?? '127.0.0.1';
  return {
    ...process.env,
    ...services.env,
    API_TOKEN: token,
    ...secretsKeyEnv(secrets),
    PORT: port,
    HOST: host,
    TEMPLATES_DIR: process.env.TEMPLATES_DIR ?? path.join(repoDir, 'config', 'templates'),
    RUNTIMES_FILE: process.env.RUNTIMES_FILE ?? path.join(repoDir, 'config', 'runtimes.json'),
    WORKSPACE_NETWORK: process.env.WORKSPACE_NETWORK ?? 'none',
    ...(process.stdout.isTTY && !process.env.LOG_PRETTY ? { LOG_PRETTY: '1' } : {}),
  };
}

/** Run an app; `onExit(code)` runs if it exits while npm start is not stopping (by default: stop everything). */
function startApp(name, env, label = name, onExit = undefined) {
  const { cmd, args } = builtCommand(repoDir, name); // the compiled app, as production runs it
  const app = spawnGroup(cmd, args, { cwd: repoDir, env });
  app.name = label;
  children.push(app);
  void app.exited.then((code) => {
    if (stopping) return;
    if (onExit) return onExit(code);
    console.error(`[dockyard] error: the ${label} exited unexpectedly (code ${code}); stopping everything`);
    void shutdown(1);
  });
  return app;
}

/**
 * A local host's worker. Its exit, or its engine's, is a host loss, which the fleet survives: the
 * other hosts' workers take its workspaces over. npm start stops the other half too, as if the
 * machine had gone (an engine left running without its worker would keep its containers running
 * beside their copies elsewhere), says so, and keeps running.
 */
function startHostWorker(host, env) {
  host.worker = startApp('worker', { ...env, HOST_NAME: host.name, DOCKER_HOST: host.host }, `${host.name}'s worker`, (code) =>
    loseHost(host, `${host.name}'s worker exited (code ${code})`),
  );
}

function loseHost(host, what) {
  if (stopping || host.lost) return;
  host.lost = true;
  console.error(
    `[dockyard] ${what}; the fleet treats ${host.name} as lost after HOST_LOST_AFTER_MS and the other hosts take its ` +
      `workspaces over; stopping the rest of ${host.name} as if its machine had gone; npm start keeps running`,
  );
  void stopGroup(host.worker, { label: `${host.name}'s worker`, graceMs: 5000 });
  void host.stop().catch((err) => console.error(`[dockyard] while stopping ${host.name}'s engine: ${err.message}`));
}

function printAddresses(env, tokenSource, secretsSource, installation) {
  const base = `http://${env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST}:${env.PORT}`;
  say('Dockyard is ready');
  say(`  installation: ${installation ?? '(unknown)'}  (label dockyard.installation on its Docker objects)`);
  say(`  API:        ${base}  (Authorization: Bearer <token>)`);
  say(`  queue UI:   ${base}/admin/queues  (login: any user name, the token as password)`);
  say(`  workspaces: ${base}/admin/workspaces`);
  say(`  docs:       ${base}/docs`);
  // A token the operator set is theirs already: don't echo it.
  say(`  token:      ${tokenSource === 'API_TOKEN' ? '(the API_TOKEN you set)' : `${env.API_TOKEN}  (stored in ${tokenSource})`}`);
  // the secrets key is never printed, only where it lives
  say(`  secrets:    env values sealed with ${secretsSource === 'SECRETS_KEY' ? 'the SECRETS_KEY you set' : `the key stored in ${secretsSource}`}`);
  if (localHosts.length) {
    say(`  hosts:      ${localHosts.length} local Docker hosts, one worker each (GET /v1/hosts)`);
    for (const h of localHosts) say(`              ${h.name}  engine ${h.host}  (dockerd pid ${h.pid})`);
  }
  say('Ctrl-C to stop');
}

/** Until every local host whose worker still runs is registered `ready` (so a create can use them all). */
async function waitForHosts(base, token) {
  await waitFor('the hosts to register', async () => {
    const answer = await probe(`${base}/v1/hosts`, 2000, { authorization: `Bearer ${token}` });
    if (answer?.status !== 200) return false;
    const ready = new Set(answer.body.items.filter((h) => h.state === 'ready').map((h) => h.name));
    return localHosts.every((h) => ready.has(h.name) || !h.worker.running());
  }, { timeoutMs: 120000 });
}

try {
  await ensurePnpm();
  await ensureDeps(repoDir);
  await ensureBuilt(repoDir, say);
  services = await ensureServices({ stateDir, database: 'dockyard', docker: !localHostCount });
  if (interrupted) await shutdown(130);
  if (localHostCount) {
    if (process.env.DOCKER_HOST) say(`LOCAL_HOSTS=${localHostCount}: DOCKER_HOST is not used; each host has an engine of its own`);
    localHosts = await startLocalHosts({ stateDir, count: localHostCount, repoDir });
  } else {
    await ensureRuntimeImage(services.env.DOCKER_HOST, repoDir);
  }
  if (interrupted) await shutdown(130);
  const { token, source } = resolveApiToken(stateDir);
  const secrets = resolveSecretsKey(stateDir);
  const env = appEnv(token, secrets);

  say('applying migrations');
  const migrate = builtCommand(repoDir, 'migrate');
  const migrated = await run(migrate.cmd, migrate.args, { cwd: repoDir, env });
  if (migrated !== 0) throw new Error(`migrations failed (exit ${migrated})`);
  if (interrupted) await shutdown(130);

  if (localHosts.length) {
    say(`starting the api (${env.HOST}:${env.PORT}) and a worker for each host (${localHosts.map((h) => h.name).join(', ')})`);
  } else {
    say(`starting the api (${env.HOST}:${env.PORT}) and the worker`);
  }
  const api = startApp('api', env);
  if (localHosts.length) {
    for (const host of localHosts) startHostWorker(host, env);
    stopWatchingEngines = watchEngines(localHosts, (h) => loseHost(h, `${h.name}'s Docker engine (dockerd pid ${h.pid}) exited`));
  } else {
    startApp('worker', env);
  }
  settingUp = false;

  const base = `http://${env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST}:${env.PORT}`;
  let ready;
  await waitFor('the api to answer /readyz', async () => {
    if (!api.running()) throw fatalError('the api exited');
    ready = await probe(`${base}/readyz`);
    return ready?.status === 200;
  }, { timeoutMs: 120000 });
  if (localHosts.length && !stopping) await waitForHosts(base, token);
  if (!stopping) printAddresses(env, source, secrets.source, ready?.body?.installation);
} catch (err) {
  settingUp = false;
  console.error(`[dockyard] error: ${err.message}${err.cause ? `\n  cause: ${err.cause.message}` : ''}`);
  await shutdown(1);
}
