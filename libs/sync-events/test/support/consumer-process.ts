// A sync-completed consumer in a process of its own, for the tests that kill it. It fails the
// event named by HELD_EVENT_ID on every try, so that it holds that event in its retries in place,
// and writes one line per try: `try <eventId>`.
import { createSyncCompletedConsumer } from '../../src';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);

  return value;
};

const consumer = createSyncCompletedConsumer({
  consumer: env('CONSUMER'),
  redisUrl: env('REDIS_URL'),
  prefix: env('QUEUE_PREFIX'),
  lockMs: Number(env('LOCK_MS')),
  stalledCheckMs: Number(env('STALLED_CHECK_MS')),
  retry: { windowMs: 60_000, initialDelayMs: 100, maxDelayMs: 200 },
  handle: async (event) => {
    process.stdout.write(`try ${event.eventId}\n`);
    if (event.eventId === process.env.HELD_EVENT_ID) throw new Error('handler database down');
  },
});
void consumer.ready.then(() => process.stdout.write('ready\n'));
