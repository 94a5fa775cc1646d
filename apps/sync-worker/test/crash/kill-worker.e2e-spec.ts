import { CrashHarness } from './crash-harness';

const CONTACTS = 5_000;

describe('crash: the worker is killed (SIGKILL) in the middle of a full sync', () => {
  const harness = new CrashHarness({ locationId: 'SMcrashKill000000001', contacts: CONTACTS });

  beforeAll(async () => {
    await harness.start();
    await harness.startWorker();
  }, 90_000);

  afterAll(() => harness.stop(), 30_000);

  it('finishes after a restart with Postgres equal to GHL and every event delivered', async () => {
    await harness.faults({ latencyMs: 3 });
    await harness.startFullSync();
    const storedAtKill = await harness.waitForStoredContacts(CONTACTS * 0.2, 60_000);

    await harness.worker?.stop('SIGKILL');
    await harness.faults(null);
    await harness.startWorker();

    const run = await harness.waitForSucceededRun(90_000);
    expect(storedAtKill).toBeLessThan(CONTACTS);
    expect(run.counts.contacts).toBeLessThanOrEqual(CONTACTS);
    await harness.expectRecordsEqualSandbox(await harness.exportSandbox());
    await harness.expectEveryConsumerHasEveryEvent();
  }, 180_000);
});
