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

    it('stores every task, whichever of the two walks wrote it', async () => {
      await harness.startFullSync();
      await harness.waitForStoredContacts(500, 60_000);
      await queue.add(JobName.SweepTasks, { locationId: harness.setup.locationId });

      const runs = await eventually(
        async () => {
          const done = await harness.dataSource
            .getRepository(SyncRun)
            .findBy({ locationId: harness.setup.locationId, status: 'succeeded' });

          return done.length === 2 ? done : undefined;
        },
        120_000,
        'the first sync and the sweep',
      );
      const ghl = await harness.exportSandbox();
      const install = runs.find((run) => run.trigger === 'install') as SyncRun;

      expect(ghl.tasks.length).toBe(20_093);
      expect(install.errorCount).toBe(0);
      expect(install.counts.tasks).toBeLessThanOrEqual(ghl.tasks.length);
      await harness.expectRecordsEqualSandbox(ghl);
    }, 240_000);
  });
});
