import type { Queue } from 'bullmq';

import { SyncRun } from '@sm/entities';
import { JobName } from '@sm/queues';
import { eventually } from '@sm/testing';

import { CrashHarness } from './crash/crash-harness';

/**
 * A first sync stores every record GHL has, whatever the child-fetch concurrency (pages overlap:
 * one page's children are written while the next page's are fetched) and whether the periodic
 * task sweep walks the same tasks beside it. The counts are the sandbox's for these locations.
 */
describe('full sync: every record GHL has is stored', () => {
  const cases = [
    { concurrency: '6', locationId: 'SMfullSyncConc600001' },
    { concurrency: '8', locationId: 'SMfullSyncConc800001' },
  ];

  describe.each(cases)('with CHILD_FETCH_CONCURRENCY=$concurrency', (setup) => {
    const harness = new CrashHarness({ locationId: setup.locationId, contacts: 3_000 });

    beforeAll(async () => {
      await harness.start();
      await harness.startWorker({ CHILD_FETCH_CONCURRENCY: setup.concurrency });
    }, 90_000);

    afterAll(() => harness.stop(), 30_000);

    it('writes each contact, task, note and appointment once, equal to GHL', async () => {
      await harness.startFullSync();

      const run = await harness.waitForSucceededRun(120_000);
      const ghl = await harness.exportSandbox();

      expect(run.errorCount).toBe(0);
      expect(run.counts).toMatchObject({
        contacts: ghl.contacts.length,
        tasks: ghl.tasks.length,
        notes: ghl.notes.length,
        appointments: ghl.appointments.length,
        tombstoned: 0,
      });
      await harness.expectRecordsEqualSandbox(ghl);
    }, 180_000);

    it('leaves the planner statistics of the columns it finds record rows by', async () => {
      const analyzed: { column: string }[] = await harness.dataSource.query(
        `SELECT tablename || '.' || attname AS column FROM pg_stats
         WHERE schemaname = current_schema() AND tablename LIKE 'contact%'`,
      );

      const lookups = ['location_id', 'id', 'deleted_at'];
      const expected = [
        ...lookups.map((column) => `contacts.${column}`),
        ...['contact_tasks', 'contact_notes', 'contact_appointments'].flatMap((table) =>
          [...lookups, 'contact_id'].map((column) => `${table}.${column}`),
        ),
      ];
      expect(analyzed.map((row) => row.column)).toEqual(expect.arrayContaining(expected));
    });
  });

  describe('while the task sweep walks the same location', () => {
    const harness = new CrashHarness({ locationId: 'SMfullSyncSweep00001', contacts: 10_000 });
    let queue: Queue;

    beforeAll(async () => {
      await harness.start();
      await harness.startWorker({ CHILD_FETCH_CONCURRENCY: '6' });
      queue = harness.locationSyncQueue();
    }, 90_000);

    afterAll(async () => {
      await harness.stop();
    }, 30_000);

    it('skips a task sweep that fires during the first sync, which stores every task', async () => {
      await harness.startFullSync();
      await harness.waitForStoredContacts(500, 60_000);
      const sweep = await queue.add(JobName.SweepTasks, { locationId: harness.setup.locationId });

      const skipped = await eventually(
        async () => (await queue.getJob(sweep.id as string))?.returnvalue ?? undefined,
        60_000,
        'the sweep',
      );
      const install = await eventually(
        async () =>
          (await harness.dataSource.getRepository(SyncRun).findOneBy({
            locationId: harness.setup.locationId,
            trigger: 'install',
            status: 'succeeded',
          })) ?? undefined,
        120_000,
        'the first sync',
      );
      const ghl = await harness.exportSandbox();

      expect(skipped).toEqual({ skipped: 'location-run-in-progress' });
      expect(ghl.tasks.length).toBe(20_093);
      expect(install.errorCount).toBe(0);
      // The sync's own walk wrote every task: its count is GHL's, not short by the sweep's.
      expect(install.counts.tasks).toBe(ghl.tasks.length);
      await harness.expectRecordsEqualSandbox(ghl);
    }, 240_000);
  });
});
