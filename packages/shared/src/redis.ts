import type { ConnectionOptions } from 'bullmq';

/**
 * BullMQ connection options from REDIS_URL. BullMQ creates its own ioredis clients;
 * workers need maxRetriesPerRequest null so a Redis outage blocks instead of throwing.
 */
export function redisConnection(url: string): ConnectionOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

/**
 * BullMQ connection options for a producer that must keep answering while Redis is
 * down (the API): a command fails at once instead of waiting for the reconnect, so a
 * request records its intent in Postgres, defers the enqueue to the reconciler, and answers.
 */
export function producerRedisConnection(url: string): ConnectionOptions {
  return { ...redisConnection(url), maxRetriesPerRequest: 1, enableOfflineQueue: false };
}
