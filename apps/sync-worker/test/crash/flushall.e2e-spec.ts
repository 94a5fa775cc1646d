import { PrivateRedis } from '@sm/testing';
import { CrashHarness } from './crash-harness';

const CONTACTS = 1_500;

describe('crash: Redis loses everything (FLUSHALL) in the middle of a sync', () => {
  const redis = new PrivateRedis();
  let harness: CrashHarness;

  beforeAll(async () => {
    await redis.start();
    harness = new CrashHarness({
      locationId: 'SMcrashFlush00000001',
      contacts: CONTACTS,
      redisUrl: redis.url,
    });
    await harness.start();
    await harness.startWorker();
  }, 90_000);

  afterAll(async () => {
    await harness?.stop();
    await redis.stop();
  }, 30_000);

  it('ends with Postgres equal to GHL and every event delivered again', async () => {
    await harness.faults({ latencyMs: 5 });
    await harness.startFullSync();
    await harness.waitForStoredContacts(CONTACTS * 0.3);

    await redis.run((client) => client.flushall());
    await harness.faults(null);

    await harness.waitForSucceededRun(60_000);
    await harness.eventuallyEqualSandbox(30_000);
    await harness.expectEveryConsumerHasEveryEvent(30_000);
  }, 120_000);
});
