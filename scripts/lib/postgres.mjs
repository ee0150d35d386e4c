// A project-local Postgres: initdb'd once under <stateDir>/pg, started with pg_ctl, reused while running.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { capture, fatalError, isRoot, pickPort, runOrThrow, say, shortHash, waitFor } from './proc.mjs';
import { requireProgram } from './system.mjs';

const PREFERRED_PORT = { '.dockyard': 54329, test: 54339, bench: 54349 };

function findPgBin() {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(root, versions[0], 'bin') : null;
}

/** Postgres refuses to run as root: as root, run its programs as the `postgres` system user. */
function asPostgres(cmd, args) {
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

function runAsPostgres(cmd, args, opts) {
  const [c, a] = asPostgres(cmd, args);
  return runOrThrow(c, a, opts);
}

function giveToPostgres(dir) {
  mkdirSync(dir, { recursive: true });
  if (isRoot()) runOrThrow('chown', ['-R', 'postgres:postgres', dir]);
}

/** <stateDir>/pg, or a folder under /tmp when the postgres user cannot reach the checkout. */
function resolvePgDir(stateDir) {
  const preferred = path.join(stateDir, 'pg');
  if (isRoot() && !capture('id', ['-u', 'postgres'])) {
    throw new Error('running as root, but there is no `postgres` system user to run Postgres as');
  }
  giveToPostgres(preferred);
  const [c, a] = asPostgres('test', ['-w', preferred, '-a', '-x', preferred]);
  if (spawnSync(c, a).status === 0) return preferred;
  const fallback = `/tmp/dockyard-${shortHash(preferred)}/pg`;
  say(`the postgres user cannot reach ${preferred}; keeping Postgres state in ${fallback}`);
  giveToPostgres(fallback);
  return fallback;
}

function runningPort(dataDir, pgCtl) {
  const [c, a] = asPostgres(pgCtl, ['status', '-D', dataDir]);
  if (spawnSync(c, a).status !== 0) return null;
  // postmaster.pid line 4 is the port.
  return Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[3]);
}

function initCluster(bin, dataDir) {
  if (existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true }); // an interrupted initdb
  say(`initdb ${dataDir}`);
  runAsPostgres(path.join(bin, 'initdb'), ['-D', dataDir, '--auth=trust', '-U', 'postgres', '-E', 'UTF8', '--no-locale']);
  appendFileSync(path.join(dataDir, 'postgresql.conf'), "\ninclude 'dockyard.conf'\n");
}

function writeSettings({ pgDir, dataDir, port, fast }) {
  let socketDir = path.join(pgDir, 'run');
  if (`${socketDir}/.s.PGSQL.${port}.lock`.length > 100) socketDir = `/tmp/dockyard-${shortHash(pgDir)}/pg-run`;
  giveToPostgres(socketDir);
  const settings = [
    "listen_addresses = '127.0.0.1'",
    `port = ${port}`,
    `unix_socket_directories = '${socketDir}'`,
    'max_connections = 300',
    // Test clusters are throwaway: trade durability for speed.
    ...(fast ? ['fsync = off', 'synchronous_commit = off', 'full_page_writes = off'] : []),
  ];
  writeFileSync(path.join(dataDir, 'dockyard.conf'), `${settings.join('\n')}\n`, { mode: 0o644 });
}

function ensureDatabase(bin, port, name) {
  const psql = [path.join(bin, 'psql'), '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1'];
  const exists = runOrThrow(psql[0], [...psql.slice(1), '-tAc', `select 1 from pg_database where datname = '${name}'`]);
  if (exists.trim() === '1') return;
  say(`creating database ${name}`);
  runOrThrow(psql[0], [...psql.slice(1), '-c', `create database "${name}"`]);
}

/** Wait until postmaster.pid reports "ready" (its 8th line, PG 10+: what `pg_ctl -w` waits for). */
function waitUntilReady(dataDir, logFile) {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const since = Date.now();
  return waitFor('Postgres', async () => {
    if (existsSync(pidFile)) return readFileSync(pidFile, 'utf8').split('\n')[7]?.trim() === 'ready';
    if (Date.now() - since > 5000) throw fatalError('postgres exited');
    return false;
  }, { timeoutMs: 60000, logFile });
}

/** Start (or reuse) the project-local Postgres; returns { url, stop }. */
export async function ensurePostgres({ stateDir, database = 'postgres', fast = false, adopt = false }) {
  const bin = await requireProgram({ what: 'PostgreSQL', find: findPgBin, aptPackages: ['postgresql'] });
  const pgDir = resolvePgDir(stateDir);
  const dataDir = path.join(pgDir, 'data');
  const logFile = path.join(pgDir, 'postgres.log');
  const pgCtl = path.join(bin, 'pg_ctl');
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) initCluster(bin, dataDir);

  let port = runningPort(dataDir, pgCtl);
  let started = false;
  if (port) {
    started = adopt;
    say(`reusing Postgres already running on 127.0.0.1:${port} (${dataDir})${adopt ? '' : '; it will be left running'}`);
  } else {
    const portFile = path.join(pgDir, 'port');
    const saved = existsSync(portFile) ? Number(readFileSync(portFile, 'utf8')) : null;
    port = await pickPort(saved || PREFERRED_PORT[path.basename(stateDir)] || 54329);
    writeSettings({ pgDir, dataDir, port, fast });
    writeFileSync(portFile, String(port));
    say(`starting Postgres on 127.0.0.1:${port} (log: ${logFile})`);
    // pg_ctl detaches the postmaster into its own session; we wait for it ourselves, with progress.
    runAsPostgres(pgCtl, ['start', '-W', '-D', dataDir, '-l', logFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    started = true;
    try {
      await waitUntilReady(dataDir, logFile);
    } catch (err) {
      spawnSync(...asPostgres(pgCtl, ['stop', '-m', 'immediate', '-D', dataDir]), { stdio: 'ignore' });
      throw new Error(`Postgres did not start; see ${logFile}`, { cause: err });
    }
  }
  if (database !== 'postgres') ensureDatabase(bin, port, database);

  return {
    url: `postgres://postgres@127.0.0.1:${port}/${database}`,
    async stop() {
      if (!started) return;
      say('stopping Postgres');
      runAsPostgres(pgCtl, ['stop', '-m', 'fast', '-w', '-t', '60', '-D', dataDir], { stdio: 'ignore' });
    },
  };
}
