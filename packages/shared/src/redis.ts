import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { ConnectionOptions } from 'bullmq';

/**
 * REDIS_URL: one Redis (`redis://[user:pass@]host:port[/db]`, `rediss://` for TLS) or a Redis
 * Cluster (`redis+cluster://[user:pass@]host:port,host:port,…`, any of its masters; `rediss+cluster://`
 * for TLS). Keys that are used together carry a hash tag (BullMQ queues, see queuePrefixOf), so
 * every command finds its keys in one slot; the same code runs on one Redis.
 */
export interface RedisTarget {
  cluster: boolean;
  nodes: Array<{ host: string; port: number }>;
  options: RedisOptions;
}

export const REDIS_URL_RULE = /^rediss?(\+cluster)?:\/\//;

export function parseRedisUrl(url: string): RedisTarget {
  const cluster = /^rediss?\+cluster:\/\//.test(url);
  const tls = /^rediss/.test(url);
  // a cluster URL lists several host:port pairs: parse the first as a URL, the rest by hand
  const rest = url.replace(/^[a-z+]+:\/\//, '');
  const at = rest.lastIndexOf('@');
  const auth = at >= 0 ? rest.slice(0, at) : '';
  const [hostList = '', db = ''] = rest.slice(at + 1).split('/');
  const nodes = hostList.split(',').filter(Boolean).map((hp) => {
    const u = new URL(`redis://${hp}`);
    return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 6379) };
  });
  const [user, pass] = auth ? auth.split(':') : [];
  return {
    cluster,
    nodes,
    options: {
      username: user ? decodeURIComponent(user) : undefined,
      password: pass ? decodeURIComponent(pass) : undefined,
      db: !cluster && db ? Number(db) : 0,
      tls: tls ? {} : undefined,
    },
  };
}

export type AnyRedis = Redis | Cluster;

/**
 * Reconnect at most 2 s apart, however long Redis was gone: BullMQ's own default backs off to
 * 20 s, so workers took up to 20 s to take jobs again after a long outage (measured: 17.5 s
 * after a 60 s outage).
 */
const RECONNECT_MAX_MS = 2_000;
export const reconnectDelay = (times: number): number => Math.min(100 * 2 ** Math.min(times, 10), RECONNECT_MAX_MS);

/** A plain client (or cluster client) for REDIS_URL. */
export function makeRedisClient(url: string, options: RedisOptions = {}): AnyRedis {
  const t = parseRedisUrl(url);
  if (!t.cluster) return new Redis({ ...t.nodes[0], ...t.options, retryStrategy: reconnectDelay, ...options });
  const { enableOfflineQueue, ...redisOptions } = options;
  return new Cluster(t.nodes, { redisOptions: { ...t.options, ...redisOptions }, enableOfflineQueue, clusterRetryStrategy: reconnectDelay });
}

/**
 * BullMQ connection options from REDIS_URL. BullMQ creates its own ioredis clients from
 * options; a cluster needs a Cluster client (shared by the queues that get it, duplicated
 * by workers for their blocking connection; its owner closes it, see closeConnection).
 * Workers need maxRetriesPerRequest null so a Redis outage blocks instead of throwing.
 */
export function redisConnection(url: string): ConnectionOptions {
  const t = parseRedisUrl(url);
  if (t.cluster) return makeRedisClient(url, { maxRetriesPerRequest: null }) as ConnectionOptions;
  return { ...t.nodes[0], ...t.options, retryStrategy: reconnectDelay, maxRetriesPerRequest: null };
}

/**
 * BullMQ connection options for a producer that must keep answering while Redis is
 * down (the API): a command fails at once instead of waiting for the reconnect, so a
 * request records its action in Postgres, defers the enqueue to the reconciler, and answers.
 */
export function producerRedisConnection(url: string): ConnectionOptions {
  const t = parseRedisUrl(url);
  if (t.cluster) return makeRedisClient(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false }) as ConnectionOptions;
  return { ...t.nodes[0], ...t.options, retryStrategy: reconnectDelay, maxRetriesPerRequest: 1, enableOfflineQueue: false };
}

/** Close a connection made by redisConnection if it is a client (BullMQ closes only what it made itself). */
export async function closeConnection(connection: ConnectionOptions): Promise<void> {
  const client = connection as Partial<AnyRedis>;
  if (typeof client.quit === 'function') await client.quit().catch(() => client.disconnect?.());
}
