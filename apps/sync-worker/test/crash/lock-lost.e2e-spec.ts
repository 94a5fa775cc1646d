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

  it('stops and fails its attempt: no two runs walk the location side by side', async () => {
    await harness.faults({ latencyMs: 100 });
    await harness.startFullSync();
    await harness.waitForStoredContacts(100, 60_000);

    // As an idle_session_timeout, a dropped connection or a DBA's terminate would end it.
    const key = `hashtextextended('location-run:' || $1, 0)`;
    const [{ count }] = await harness.dataSource.query(
      `SELECT count(pg_terminate_backend(l.pid))::int AS count FROM pg_locks l
       WHERE l.locktype = 'advisory' AND l.granted
         AND l.objid = (${key} & x'ffffffff'::bigint)::oid`,
      [harness.setup.locationId],
    );
    expect(count).toBe(1);
    // A manual full sync asked for meanwhile takes the location only once the first let go.
    await harness.startFullSync('manual');
    const watch = setInterval(() => void runStatuses().then((seen) => statusesSeen.push(seen)), 50);
    try {
      await eventually(
        async () => ((await runStatuses()).includes('failed') ? true : undefined),
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
    const [failed] = await harness.dataSource.getRepository(SyncRun).findBy({ status: 'failed' });
    expect(failed.lastError).toContain('the location run lock was lost with its connection');
    await harness.expectRecordsEqualSandbox(await harness.exportSandbox());
    await harness.expectEveryConsumerHasEveryEvent();
  }, 240_000);
});
