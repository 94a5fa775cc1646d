import { SyncRun } from '@sm/entities';
import { eventually } from '@sm/testing';

import { CrashHarness } from './crash-harness';

const CONTACTS = 1_500;

describe("crash: a location run loses its lock with the lock's connection", () => {
  const harness = new CrashHarness({ locationId: 'SMcrashLockLost00001', contacts: CONTACTS });
  const statusesSeen: string[][] = [];

  beforeAll(async () => {
    await harness.start();
    await harness.startWorker();
  }, 90_000);

  afterAll(() => harness.stop(), 30_000);

  const runStatuses = async () =>
    (await harness.dataSource.getRepository(SyncRun).find({ order: { startedAt: 'ASC' } }))
      .filter((run) => run.scope === 'location')
      .map((run) => run.status);

  it('stops and hands back, so that no two runs of the location walk side by side', async () => {
    await harness.faults({ latencyMs: 100 });
    await harness.startFullSync();
    await harness.waitForStoredContacts(100, 60_000);

    // As an idle_session_timeout, a dropped connection or a DBA's terminate would end it.
    await harness.dataSource.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE datname = current_database() AND query LIKE '%pg_try_advisory_lock%'
         AND pid <> pg_backend_pid()`,
    );
    // A manual full sync asked for meanwhile takes the location only once the first let go.
    await harness.startFullSync('manual');
    const watch = setInterval(() => void runStatuses().then((seen) => statusesSeen.push(seen)), 50);
    try {
      await eventually(
        async () => ((await runStatuses()).includes('interrupted') ? true : undefined),
        20_000,
        'the run that lost its lock to stop',
      );
      await harness.faults(null);
      await eventually(
        async () => {
          const statuses = await runStatuses();

          return statuses.filter((status) => status === 'succeeded').length === 2
            ? true
            : undefined;
        },
        120_000,
        'the handed-back sync and the manual one to succeed',
      );
    } finally {
      clearInterval(watch);
    }

    const running = statusesSeen.map((seen) => seen.filter((status) => status === 'running'));
    expect(Math.max(...running.map((each) => each.length))).toBe(1);
    expect(await runStatuses()).not.toContain('abandoned');
    await harness.expectRecordsEqualSandbox(await harness.exportSandbox());
    await harness.expectEveryConsumerHasEveryEvent();
  }, 240_000);
});
