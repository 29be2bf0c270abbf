import { Redis } from 'ioredis';

/**
 * Deletes the Redis keys matching `pattern` (e.g. `${prefix}:*`: the rate-limit counters and BullMQ queues of the
 * services a test ran under that prefix), so the test leaves nothing behind for the global teardown to sweep.
 * Returns how many it deleted.
 */
export async function deleteRedisKeys(pattern: string, url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let removed = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) removed += await redis.del(...keys);
    } while (cursor !== '0');
    return removed;
  } finally {
    redis.disconnect();
  }
}
