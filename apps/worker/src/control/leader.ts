import { randomUUID } from 'node:crypto';
import type { AnyRedis } from '@dockyard/shared';
import type { Logger } from '@dockyard/shared';

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * Run `task` in at most one process at a time: a Redis lock with expiry, renewed
 * while held. Losing the lock (or close()) aborts the task's signal.
 */
export function runAsLeader(opts: {
  redis: AnyRedis;
  key: string;
  ttlMs: number;
  log: Logger;
  task: (signal: AbortSignal) => Promise<void>;
}) {
  const token = randomUUID();
  let current: { controller: AbortController; done: Promise<void> } | undefined;
  let closed = false;

  const stopTask = async () => {
    if (!current) return;
    current.controller.abort();
    await current.done;
    current = undefined;
  };

  const tick = async () => {
    if (closed) return;
    try {
      if (current) {
        const held = await opts.redis.eval(RENEW, 1, opts.key, token, String(opts.ttlMs));
        if (held !== 1) {
          opts.log.warn({ key: opts.key }, 'leadership lost');
          await stopTask();
        }
        return;
      }
      const won = await opts.redis.set(opts.key, token, 'PX', opts.ttlMs, 'NX');
      if (won !== 'OK' || closed) return;
      opts.log.info({ key: opts.key }, 'leadership acquired');
      const controller = new AbortController();
      const done = opts
        .task(controller.signal)
        .catch((err) => opts.log.error({ err, key: opts.key }, 'leader task crashed'))
        .finally(() => {
          if (current?.controller === controller) current = undefined;
        });
      current = { controller, done };
    } catch (err) {
      opts.log.warn({ err, key: opts.key }, 'leader election: Redis unavailable');
      if (current) await stopTask();
    }
  };

  const timer = setInterval(() => void tick(), Math.max(100, Math.floor(opts.ttlMs / 3)));
  void tick();
  return {
    async close() {
      closed = true;
      clearInterval(timer);
      await stopTask();
      await opts.redis.eval(RELEASE, 1, opts.key, token).catch(() => undefined);
    },
  };
}

/** Sleep that ends early when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
