import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The one logger of a process. JSON lines by default; `pretty` pipes through
 * pino-pretty (used by `npm start` in a terminal). Secrets never go into fields:
 * the redact list is a second line of defence.
 */
export function makeLogger(opts: { level: string; pretty: boolean; name: string }): Logger {
  const options = {
    name: opts.name,
    level: opts.level,
    redact: {
      paths: ['token', 'apiToken', 'config.apiToken', 'req.headers.authorization', 'headers.authorization', 'env'],
      censor: '[redacted]',
    },
  };
  if (opts.pretty) return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  // Asynchronous writes to stdout: lines logged while a write is in flight go out together (one
  // system call, not one per line: a synchronous write per request cost the restart intake about
  // half its throughput in npm run bench). pino flushes what is left when the process exits.
  return pino(options, pino.destination({ dest: 1, sync: false }));
}
