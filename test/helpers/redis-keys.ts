import { Cluster } from 'ioredis';
import { makeRedisClient } from '@dockyard/shared';

/** Delete every key under `prefix:` on REDIS_URL: on each master of a cluster, one key at a time (no cross-slot DEL). */
export async function deleteKeysUnder(url: string, prefix: string): Promise<number> {
  const client = makeRedisClient(url);
  try {
    const nodes = client instanceof Cluster ? client.nodes('master') : [client];
    let n = 0;
    for (const node of nodes) {
      for (const key of await node.keys(`${prefix}:*`)) n += await node.del(key);
    }
    return n;
  } finally {
    client.disconnect();
  }
}
