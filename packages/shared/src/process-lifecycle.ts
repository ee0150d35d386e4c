// Start-up and shutdown steps both apps' main.ts share. Nothing here runs until main.ts calls it.
import { ConfigError } from './config.ts';
import type { Logger } from './logger.ts';

/** Run the app's loadConfig; a ConfigError is printed as `dockyard <app>: <message>` and exits 1. */
export function loadConfigOrExit<C>(app: string, load: () => C): C {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`dockyard ${app}: ${err.message}`);
    process.exit(1);
  }
}

export interface CloseOnSignals {
  log: Logger;
  /** close what the process started, in reverse start order */
  close: () => Promise<void>;
  /** past this, the process exits 1 without waiting for close */
  deadlineMs: number;
  /** logged on the first signal */
  closingMessage: string;
  /** logged when the deadline passes */
  deadlineMessage: string;
}

/**
 * Register SIGINT/SIGTERM once. The first signal runs close with a deadline: a clean close
 * exits 0; a failed close or a passed deadline exits 1. A second signal exits 1 at once.
 */
export function closeOnSignals(o: CloseOnSignals): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      o.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    closing = true;
    o.log.info({ signal, deadlineMs: o.deadlineMs }, o.closingMessage);
    setTimeout(() => {
      o.log.error(o.deadlineMessage);
      process.exit(1);
    }, o.deadlineMs).unref();
    o.close().then(
      () => {
        o.log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        o.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
