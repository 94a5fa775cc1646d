import { Redis } from 'ioredis';

/**
 * Deletes every Redis key under a test's queue prefix: BullMQ keeps finished jobs, counters and
 * event streams, and a crash test leaves a few hundred thousand keys behind a run, on the Redis
 * every later suite and CI share. Answers how many went; a Redis that is gone is left alone.
 */
export async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 5_000,
  });
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1_000);
      if (keys.length > 0) deleted += await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch {
    // A private Redis the test stopped, or one it froze: its keys go with it.
  } finally {
    redis.disconnect();
  }

  return deleted;
}
