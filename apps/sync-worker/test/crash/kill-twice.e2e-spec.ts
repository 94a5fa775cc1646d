import { SyncRun } from '@sm/entities';

import { CrashHarness } from './crash-harness';

const CONTACTS = 3_000;

describe('crash: the worker is killed (SIGKILL) twice in the middle of one full sync', () => {
  const harness = new CrashHarness({ locationId: 'SMcrashKillTwice0001', contacts: CONTACTS });

  beforeAll(async () => {
    await harness.start();
    await harness.startWorker();
  }, 90_000);

  afterAll(() => harness.stop(), 30_000);

  /** Kills the worker once the sync has stored `atLeast` contacts, and starts another. */
  const killWhenStored = async (atLeast: number) => {
    const stored = await harness.waitForStoredContacts(atLeast, 90_000);
    await harness.worker?.stop('SIGKILL');
    await harness.startWorker();

    return stored;
  };

  it('still finishes the sync, with every run of a killed worker closed', async () => {
    // Slow enough that each kill lands mid-walk, 500 contacts to a batch.
    await harness.faults({ latencyMs: 5 });
    await harness.startFullSync();

    const atFirstKill = await killWhenStored(500);
    const atSecondKill = await killWhenStored(atFirstKill + 500);
    await harness.faults(null);

    const run = await harness.waitForSucceededRun(120_000);
    expect(atSecondKill).toBeLessThan(CONTACTS);
    const runs = await harness.dataSource.getRepository(SyncRun).findBy({ scope: 'location' });
    const statuses = runs.map((each) => each.status).sort();
    expect(statuses).toEqual(['abandoned', 'abandoned', 'succeeded']);
    expect(new Set(runs.map((each) => each.jobId))).toEqual(new Set([run.jobId]));
    await harness.expectRecordsEqualSandbox(await harness.exportSandbox());
    await harness.expectEveryConsumerHasEveryEvent();
  }, 240_000);
});
