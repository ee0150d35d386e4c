// The worker process: the only module with side effects.
import { closeOnSignals, loadConfigOrExit, makeLogger } from '@dockyard/shared';
import { loadConfig } from './config.ts';
import { startWorker } from './worker-app.ts';

const config = loadConfigOrExit('worker', () => loadConfig(process.env));

const log = makeLogger({ name: 'dockyard-worker', level: config.logLevel, pretty: config.logPretty });
let worker: Awaited<ReturnType<typeof startWorker>> | undefined;

closeOnSignals({
  log,
  deadlineMs: config.shutdownTimeoutMs,
  closingMessage: 'shutting down: finishing current jobs',
  deadlineMessage: 'shutdown deadline passed: exiting; unfinished jobs will be picked up as stalled',
  close: async () => {
    await worker?.close(); // not started yet (still waiting for Postgres): nothing runs
  },
});
worker = await startWorker(config, log);
