// The API process: the only module with side effects.
import { ConfigError, getInstallationId, makeLogger, makePool, makeQueues, messageOf, producerRedisConnection } from '@dockyard/shared';
import { Redis } from 'ioredis';
import { loadConfig } from './config.ts';
import { buildApp } from './app.ts';

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`dockyard api: ${err.message}`);
    process.exit(1);
  }
  throw err;
}

const log = makeLogger({ name: 'dockyard-api', level: config.logLevel, pretty: config.logPretty });
const pool = makePool(config.databaseUrl, log);
const queues = makeQueues(producerRedisConnection(config.redisUrl), config.queuePrefix, (err) =>
  log.warn({ err: err.message }, 'queue connection error'),
);
const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
redis.on('error', (err) => log.debug({ err }, 'redis client error'));
const app = await buildApp({ config, pool, queues, redis, log, timing: config.timing });

let closing = false;
async function shutdown(signal: string) {
  if (closing) {
    log.warn({ signal }, 'second signal: exiting now');
    process.exit(1);
  }
  closing = true;
  log.info({ signal }, 'shutting down');
  const deadline = setTimeout(() => {
    log.error('shutdown deadline passed: exiting');
    process.exit(1);
  }, 10_000);
  deadline.unref();
  await app.close();
  await queues.close();
  redis.disconnect();
  await pool.end();
  log.info('stopped');
}
process.once('SIGINT', () => void shutdown('SIGINT').then(() => process.on('SIGINT', () => shutdown('SIGINT'))));
process.once('SIGTERM', () => void shutdown('SIGTERM'));

await app.listen({ port: config.port, host: config.host });
// The banner names the installation; the API serves without Postgres too (/readyz says 503).
const installation = await getInstallationId(pool).catch((err) => `unknown (${messageOf(err)})`);
log.info({ installation, address: `http://${config.host}:${config.port}` }, 'api listening');
