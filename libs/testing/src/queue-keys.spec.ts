import { Redis } from 'ioredis';

import { deleteQueueKeys } from './queue-keys';
import { TEST_REDIS_URL, uniqueQueuePrefix } from './test-database';

describe("deleting a test's queue keys", () => {
  const redis = new Redis(TEST_REDIS_URL);

  afterAll(() => redis.quit());

  it('deletes every key under the prefix and none under another', async () => {
    const mine = uniqueQueuePrefix('keys');
    const other = uniqueQueuePrefix('keys');
    for (let index = 0; index < 2_500; index += 1) await redis.set(`${mine}:job:${index}`, '1');
    await redis.set(`${other}:job:1`, '1');
    await redis.set(mine, 'no colon: another prefix');

    const deleted = await deleteQueueKeys(TEST_REDIS_URL, mine);

    expect(deleted).toBe(2_500);
    expect(await redis.exists(`${other}:job:1`, mine)).toBe(2);
    await redis.del(`${other}:job:1`, mine);
  });

  it('leaves a Redis that does not answer alone, in about its connect timeout', async () => {
    const startedAt = Date.now();

    const deleted = await deleteQueueKeys('redis://127.0.0.1:1', 'keys-nowhere');

    expect(deleted).toBe(0);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });
});
