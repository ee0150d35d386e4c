// The API process: the only module with side effects.
import {
  closeOnSignals,
  getInstallationId,
  loadConfigOrExit,
  makeLogger,
  makePool,
  makeQueues,
  makeRedisClient,
  makeSecretBox,
  messageOf,
  producerRedisConnection,
} from '@dockyard/shared';
import { loadConfig } from './config.ts';
import { buildApp } from './app.ts';

const SHUTDOWN_DEADLINE_MS = 10_000;

const config = loadConfigOrExit('api', () => loadConfig(process.env));

const log = makeLogger({ name: 'dockyard-api', level: config.logLevel, pretty: config.logPretty });
const pool = makePool(config.databaseUrl, log);
const queues = makeQueues(producerRedisConnection(config.redisUrl), config.queuePrefix, (err) =>
  log.warn({ err: err.message }, 'queue connection error'),
);
const redis = makeRedisClient(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
redis.on('error', (err) => log.debug({ err }, 'redis client error'));
const app = await buildApp({ config, pool, queues, redis, log, timing: config.timing, secrets: makeSecretBox(config.secretKeys) });

closeOnSignals({
  log,
  deadlineMs: SHUTDOWN_DEADLINE_MS,
  closingMessage: 'shutting down',
  deadlineMessage: 'shutdown deadline passed: exiting',
  close: async () => {
    await app.close();
    await queues.close();
    redis.disconnect();
    await pool.end();
  },
});

await app.listen({ port: config.port, host: config.host });
// The banner names the installation; the API serves without Postgres too (/readyz says 503).
const installation = await getInstallationId(pool).catch((err) => `unknown (${messageOf(err)})`);
log.info({ installation, address: `http://${config.host}:${config.port}` }, 'api listening');
