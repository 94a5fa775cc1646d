import { Redis } from 'ioredis';

import { syncCompletedQueue } from './queue-names';
import { redisOptionsFromUrl } from './redis-connection';

describe('redisOptionsFromUrl', () => {
  it('reads host, port, db and credentials, and never gives up on a command', () => {
    const options = redisOptionsFromUrl('redis://user:p%40ss@cache.internal:6380/3');

    expect(options).toMatchObject({
      host: 'cache.internal',
      port: 6380,
      db: 3,
      username: 'user',
      password: 'p@ss',
      maxRetriesPerRequest: null,
    });
  });

  it('reaches a Redis named by an IPv6 literal', async () => {
    // The test Redis (@sm/testing, which depends on this library, is out of reach here).
    const port = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379').port || '6379';
    const options = redisOptionsFromUrl(`redis://[::1]:${port}`);
    const redis = new Redis({ ...options, lazyConnect: true, retryStrategy: () => null });
    try {
      await redis.connect();

      expect(options.host).toBe('::1');
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });
});

describe('syncCompletedQueue', () => {
  it('gives each consumer its own queue and refuses names that would collide', () => {
    expect(syncCompletedQueue('crm-reports')).toBe('sync-completed.crm-reports');
    expect(() => syncCompletedQueue('a:b')).toThrow(/lower-case/);
  });
});
