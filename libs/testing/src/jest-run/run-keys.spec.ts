import { Redis } from 'ioredis';

import { TEST_REDIS_URL } from '../test-database';

// The suite's global setup and teardown (jest.config.js), driven here as jest drives them.
const nameTheRun = require('./global-setup.cjs') as () => Promise<void>;
const removeTheRunsKeys = require('./global-teardown.cjs') as () => Promise<void>;

describe("a jest run's keys in the shared Redis", () => {
  const redis = new Redis(TEST_REDIS_URL);
  const realRun = process.env.SM_TEST_RUN;

  afterAll(async () => {
    process.env.SM_TEST_RUN = realRun;
    await redis.quit();
  });

  it('are removed at its end, under its name only', async () => {
    delete process.env.SM_TEST_RUN;
    await nameTheRun();
    const run = String(process.env.SM_TEST_RUN);
    const ours = [`sync-${run}-41-a1b2c3:location-sync:1`, `ingress-${run}-42-d4e5f6:meta`];
    const another = 'sync-run0123456789-41-a1b2c3:location-sync:1';
    for (const key of [...ours, another]) await redis.set(key, '1');

    await removeTheRunsKeys();

    expect(run).toMatch(/^run[0-9a-f]{10}$/);
    expect(await redis.exists(...ours)).toBe(0);
    expect(await redis.exists(another)).toBe(1);
    await redis.del(another);
  });

  // SM_TEST_RUN comes from the environment: as a SCAN pattern, `*` would match every key.
  it('take a name of their own shape only, never a pattern from the environment', async () => {
    const others = ['bull:quotes:1', `sync-${realRun ?? 'run0123456789'}-7-abcdef:meta`];
    for (const key of others) await redis.set(key, '1');

    for (const name of ['*', '[a-z]*', 'adhoc', '42']) {
      process.env.SM_TEST_RUN = name;
      await removeTheRunsKeys();
    }
    process.env.SM_TEST_RUN = '*';
    await nameTheRun();

    expect(await redis.exists(...others)).toBe(others.length);
    expect(process.env.SM_TEST_RUN).toMatch(/^run[0-9a-f]{10}$/);
    await redis.del(...others);
  });
});
