import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { makePool, migrate } from '@dockyard/shared';
import { waitFor } from './wait.ts';
import { endServer, reapOnExit } from './server-process.ts';

const PG_ROOT = '/usr/lib/postgresql';

/** The newest installed server's bin folder (where `npm test` finds the suite's own Postgres). */
function pgBin(): string {
  const versions = existsSync(PG_ROOT) ? readdirSync(PG_ROOT).filter((v) => existsSync(join(PG_ROOT, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error(`no PostgreSQL server in ${PG_ROOT}: install Debian's postgresql package`);
  return join(PG_ROOT, versions[0], 'bin');
}

/** Postgres refuses to run as root: as root, its programs run as the `postgres` system user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim() || NaN);
  const user = { uid: id('-u'), gid: id('-g') };
  if (Number.isNaN(user.uid) || Number.isNaN(user.gid)) throw new Error('running as root, but there is no `postgres` system user to run Postgres as');
  return user;
}

/**
 * A private Postgres cluster (initdb in a temp folder) a test may stop and start for real; the
 * suite's own Postgres is shared by the other files. `stop()` is a fast shutdown, what a restart
 * does: every session is terminated, new connections are refused, then the server is gone.
 */
export function privatePostgres(port: number) {
  const bin = pgBin();
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'dockyard-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  if (user) chownSync(dir, user.uid, user.gid);
  const run = { ...user, cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' } };
  const urlOf = (db: string) => `postgres://postgres@127.0.0.1:${port}/${db}`;
  let proc: ChildProcess | undefined;
  const answers = async () => {
    const c = new pg.Client({ connectionString: urlOf('postgres'), connectionTimeoutMillis: 1_000 });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query('select 1');
      return true;
    } finally {
      await c.end().catch(() => undefined);
    }
  };
  /** Signal the postmaster and wait until it is gone (SIGQUIT, an immediate stop, after 15 s). */
  const end = async (signal: NodeJS.Signals) => {
    const p = proc;
    proc = undefined;
    await endServer(p, signal, 'SIGQUIT', 15_000);
  };
  return {
    url: urlOf,
    get pid() {
      return proc?.pid;
    },
    /** initdb, start, and a migrated database `db` knowing host `local` (as a clone of the suite's template does) */
    async create(db: string): Promise<void> {
      const init = spawnSync(join(bin, 'initdb'), ['-D', data, '--auth=trust', '-U', 'postgres', '-E', 'UTF8', '--no-locale', '--no-sync'], { ...run, encoding: 'utf8' });
      if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
      await this.start();
      const admin = new pg.Client({ connectionString: urlOf('postgres') });
      await admin.connect();
      await admin.query(`create database ${db}`);
      await admin.end();
      const pool = makePool(urlOf(db));
      try {
        await migrate(pool);
        await pool.query(`insert into hosts (name, capacity) values ('local', 100)`);
      } finally {
        await pool.end();
      }
    },
    async start(): Promise<void> {
      const log = openSync(logFile, 'a');
      const settings = { listen_addresses: '127.0.0.1', unix_socket_directories: '', max_connections: '200', fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' };
      const args = ['-D', data, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
      const p = spawn(join(bin, 'postgres'), args, { ...run, stdio: ['ignore', log, log] });
      closeSync(log);
      proc = p;
      reapOnExit(p, 'SIGQUIT');
      await waitFor('the private Postgres to accept connections', async () => {
        if (p.exitCode !== null) throw new Error(`postgres exited with ${p.exitCode}: ${readFileSync(logFile, 'utf8').slice(-500)}`);
        return answers().catch(() => false);
      }, { timeoutMs: 30_000, intervalMs: 100 });
    },
    /** fast shutdown (SIGINT to the postmaster); resolves once it is gone */
    stop: () => end('SIGINT'),
    /** stop it and delete its folder */
    async remove(): Promise<void> {
      await end('SIGINT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
