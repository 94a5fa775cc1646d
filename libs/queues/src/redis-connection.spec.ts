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
});

describe('syncCompletedQueue', () => {
  it('gives each consumer its own queue and refuses names that would collide', () => {
    expect(syncCompletedQueue('crm-reports')).toBe('sync-completed.crm-reports');
    expect(() => syncCompletedQueue('a:b')).toThrow(/lower-case/);
  });
});
