// Removes the keys this jest run left in the shared Redis: its tests' BullMQ queues, kept jobs
// and rate budgets, all under prefixes that carry the run's name (see global-setup.cjs). Every
// project of a run calls it; the first finds the keys. A Redis that is gone by now only leaves
// them, with a line saying so.
const Redis = require('ioredis');

const { isRunName } = require('./run-name.cjs');

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

module.exports = async function removeTheRunsKeys() {
  const run = process.env.SM_TEST_RUN;
  if (!isRunName(run)) return;

  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let removed = 0;
    for await (const keys of redis.scanStream({ match: `*-${run}-*`, count: 1_000 })) {
      if (keys.length > 0) removed += await redis.unlink(...keys);
    }
    if (removed > 0) process.stdout.write(`\nredis: removed the run's ${removed} keys\n`);
  } catch (error) {
    process.stdout.write(`\nredis: the run's keys stay (${error.message})\n`);
  } finally {
    redis.disconnect();
  }
};
