// The worker process: the only module with side effects.
import { ConfigError, makeLogger } from '@dockyard/shared';
import { loadConfig, type WorkerConfig } from './config.ts';
import { startWorker } from './worker-app.ts';

let config: WorkerConfig;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`dockyard worker: ${err.message}`);
    process.exit(1);
  }
  throw err;
}

const log = makeLogger({ name: 'dockyard-worker', level: config.logLevel, pretty: config.logPretty });
let worker: Awaited<ReturnType<typeof startWorker>> | undefined;

let closing = false;
async function shutdown(signal: string) {
  if (closing) {
    log.warn({ signal }, 'second signal: exiting now');
    process.exit(1);
  }
  closing = true;
  log.info({ signal, deadlineMs: config.shutdownTimeoutMs }, 'shutting down: finishing current jobs');
  const deadline = setTimeout(() => {
    log.error('shutdown deadline passed: exiting; unfinished jobs will be picked up as stalled');
    process.exit(1);
  }, config.shutdownTimeoutMs);
  deadline.unref();
  await worker?.close(); // not started yet (still waiting for Postgres): nothing runs
  log.info('stopped');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
worker = await startWorker(config, log);
