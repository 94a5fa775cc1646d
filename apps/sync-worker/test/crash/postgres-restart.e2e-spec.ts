import { PrivatePostgres } from '@sm/testing';
import { CrashHarness } from './crash-harness';

const CONTACTS = 1_500;

describe('crash: Postgres restarts in the middle of a sync', () => {
  const postgres = new PrivatePostgres();
  let harness: CrashHarness;

  beforeAll(async () => {
    await postgres.init();
    harness = new CrashHarness({
      locationId: 'SMcrashPgRestart0001',
      contacts: CONTACTS,
      database: await postgres.createDatabase(),
    });
    await harness.start();
    await harness.startWorker();
  }, 90_000);

  afterAll(async () => {
    await harness?.stop();
    postgres.destroy();
  }, 30_000);

  it('retries what failed and ends with Postgres equal to GHL, every event delivered', async () => {
    await harness.faults({ latencyMs: 5 });
    await harness.startFullSync();
    await harness.waitForStoredContacts(CONTACTS * 0.3);

    postgres.stop();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await postgres.start();
    await harness.faults(null);

    await harness.waitForSucceededRun(60_000);
    await harness.eventuallyEqualSandbox(30_000);
    await harness.expectEveryConsumerHasEveryEvent(30_000);
  }, 120_000);
});
