import { Cluster } from 'ioredis';
import { makeRedisClient } from '@dockyard/shared';

/** Delete every key under `prefix:` on REDIS_URL: on each master of a cluster, one key at a time (no cross-slot DEL). */
export async function deleteKeysUnder(url: string, prefix: string): Promise<number> {
  const client = makeRedisClient(url);
  try {
    if (client.status !== 'ready') await new Promise((resolve, reject) => client.once('ready', resolve).once('error', reject));
    const nodes = client instanceof Cluster ? client.nodes('master') : [client];
    if (client instanceof Cluster && nodes.length === 0) throw new Error('the cluster client knows no master');
    let n = 0;
    for (const node of nodes) {
      for (const key of await node.keys(`${prefix}:*`)) n += await node.del(key);
    }
    return n;
  } finally {
    client.disconnect();
  }
}
