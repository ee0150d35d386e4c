import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The one logger of a process. JSON lines by default; `pretty` pipes through
 * pino-pretty (used by `npm start` in a terminal). Secrets never go into fields:
 * the redact list is a second line of defence.
 */
export function makeLogger(opts: { level: string; pretty: boolean; name: string }): Logger {
  return pino({
    name: opts.name,
    level: opts.level,
    redact: {
      paths: ['token', 'apiToken', 'config.apiToken', 'req.headers.authorization', 'headers.authorization', 'env'],
      censor: '[redacted]',
    },
    transport: opts.pretty ? { target: 'pino-pretty', options: { colorize: true } } : undefined,
  });
}
