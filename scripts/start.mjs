// `npm start`: install what is missing, start (or reuse) services, migrate, run the api and the worker.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveApiToken } from './lib/api-token.mjs';
import { ensureDeps, ensurePnpm } from './lib/bootstrap.mjs';
import { killGroup, onShutdownSignals, spawnGroup, stopGroup } from './lib/children.mjs';
import { probe } from './lib/http-probe.mjs';
import { ensureRuntimeImage } from './lib/image.mjs';
import { fatalError, run, say, waitFor } from './lib/proc.mjs';
import { ensureServices } from './lib/services.mjs';

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stateDir = path.join(repoDir, '.dockyard');
const children = [];
let services = null;
let settingUp = true;
let interrupted = false;
let stopping = false;

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  await Promise.all(children.map((c) => stopGroup(c, { label: c.name, graceMs: 20000 })));
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

function appEnv(token) {
  const port = process.env.PORT ?? '8080';
  const host = process.env.HOST ?? '127.0.0.1';
  return {
    ...process.env,
    ...services.env,
    API_TOKEN: token,
    PORT: port,
    HOST: host,
    TEMPLATES_DIR: process.env.TEMPLATES_DIR ?? path.join(repoDir, 'config', 'templates'),
    RUNTIMES_FILE: process.env.RUNTIMES_FILE ?? path.join(repoDir, 'config', 'runtimes.json'),
    WORKSPACE_NETWORK: process.env.WORKSPACE_NETWORK ?? 'none',
    ...(process.stdout.isTTY && !process.env.LOG_PRETTY ? { LOG_PRETTY: '1' } : {}),
  };
}

function startApp(name, env) {
  const app = spawnGroup('pnpm', ['exec', 'tsx', `apps/${name}/src/main.ts`], { cwd: repoDir, env });
  app.name = name;
  children.push(app);
  void app.exited.then((code) => {
    if (stopping) return;
    console.error(`[dockyard] error: the ${name} exited unexpectedly (code ${code}); stopping everything`);
    void shutdown(1);
  });
  return app;
}

function printAddresses(env, tokenSource, installation) {
  const base = `http://${env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST}:${env.PORT}`;
  say('Dockyard is ready');
  say(`  installation: ${installation ?? '(unknown)'}  (label dockyard.installation on its Docker objects)`);
  say(`  API:        ${base}  (Authorization: Bearer <token>)`);
  say(`  queue UI:   ${base}/admin/queues  (login: any user name, the token as password)`);
  say(`  workspaces: ${base}/admin/workspaces`);
  say(`  docs:       ${base}/docs`);
  // A token the operator set is theirs already: don't echo it.
  say(`  token:      ${tokenSource === 'API_TOKEN' ? '(the API_TOKEN you set)' : `${env.API_TOKEN}  (stored in ${tokenSource})`}`);
  say('Ctrl-C to stop');
}

try {
  await ensurePnpm();
  await ensureDeps(repoDir);
  services = await ensureServices({ stateDir, database: 'dockyard' });
  await ensureRuntimeImage(services.env.DOCKER_HOST, repoDir);
  if (interrupted) await shutdown(130);
  const { token, source } = resolveApiToken(stateDir);
  const env = appEnv(token);

  say('applying migrations');
  const migrated = await run('pnpm', ['exec', 'tsx', 'packages/shared/src/db/migrate-cli.ts'], { cwd: repoDir, env });
  if (migrated !== 0) throw new Error(`migrations failed (exit ${migrated})`);
  if (interrupted) await shutdown(130);

  say(`starting the api (${env.HOST}:${env.PORT}) and the worker`);
  const api = startApp('api', env);
  startApp('worker', env);
  settingUp = false;

  const readyz = `http://${env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST}:${env.PORT}/readyz`;
  let ready;
  await waitFor('the api to answer /readyz', async () => {
    if (!api.running()) throw fatalError('the api exited');
    ready = await probe(readyz);
    return ready?.status === 200;
  }, { timeoutMs: 120000 });
  if (!stopping) printAddresses(env, source, ready?.body?.installation);
} catch (err) {
  settingUp = false;
  console.error(`[dockyard] error: ${err.message}${err.cause ? `\n  cause: ${err.cause.message}` : ''}`);
  await shutdown(1);
}
