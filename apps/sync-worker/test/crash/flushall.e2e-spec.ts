import { useHarnessOnPrivateRedis } from './crash-harness';

const CONTACTS = 1_500;

describe('crash: Redis loses everything (FLUSHALL) in the middle of a sync', () => {
  const { redis, harness } = useHarnessOnPrivateRedis({
    locationId: 'SMcrashFlush00000001',
    contacts: CONTACTS,
  });

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
