// Postgres, Redis and Docker for `npm start` and `npm test`: configured ones as they are, else local ones.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureDocker } from './docker.mjs';
import { ensurePostgres } from './postgres.mjs';
import { ensureRedis } from './redis.mjs';
import { isAlive, say } from './proc.mjs';

/**
 * <stateDir>/owner.pid names the process that runs the local services. When that process is gone
 * (killed before it could stop them), the next one adopts what it left running and stops it on exit;
 * while it lives, services are shared with it and left running.
 */
function claimOwnership(stateDir) {
  const file = path.join(stateDir, 'owner.pid');
  let owner = null;
  try {
    owner = Number(readFileSync(file, 'utf8')) || null;
  } catch {
    /* no owner yet */
  }
  if (owner && owner !== process.pid && isAlive(owner)) return { adopt: false, release: () => {} };
  writeFileSync(file, String(process.pid));
  return { adopt: true, release: () => rmSync(file, { force: true }) };
}

/**
 * stateDir: where local services keep their data (`.dockyard` for start, `.dockyard/test` for tests).
 * database: the database to create in a local Postgres. fast: trade Postgres durability for speed.
 * docker: false when the caller brings its own engines (`LOCAL_HOSTS`): then env has no DOCKER_HOST.
 * Returns { env: { DATABASE_URL, REDIS_URL, DOCKER_HOST }, stop() }; stop() stops only what this call started.
 */
export async function ensureServices({ stateDir, database = 'postgres', fast = false, docker = true }) {
  const absState = path.resolve(stateDir);
  mkdirSync(absState, { recursive: true });
  const ownership = claimOwnership(absState);
  const { adopt } = ownership;
  const stops = [ownership.release];
  const stop = async () => {
    for (const stopOne of stops.reverse().splice(0)) {
      try {
        await stopOne();
      } catch (err) {
        console.error(`[dockyard] while stopping services: ${err.message}`);
      }
    }
  };

  try {
    let DATABASE_URL = process.env.DATABASE_URL;
    if (DATABASE_URL) say('using Postgres at DATABASE_URL');
    else {
      const pg = await ensurePostgres({ stateDir: absState, database, fast, adopt });
      stops.push(pg.stop);
      DATABASE_URL = pg.url;
    }

    let REDIS_URL = process.env.REDIS_URL;
    if (REDIS_URL) say('using Redis at REDIS_URL');
    else {
      const redis = await ensureRedis({ stateDir: absState, adopt });
      stops.push(redis.stop);
      REDIS_URL = redis.url;
    }

    if (!docker) return { env: { DATABASE_URL, REDIS_URL }, stop };
    const engine = await ensureDocker({ stateDir: absState, adopt });
    stops.push(engine.stop);
    return { env: { DATABASE_URL, REDIS_URL, DOCKER_HOST: engine.host }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
