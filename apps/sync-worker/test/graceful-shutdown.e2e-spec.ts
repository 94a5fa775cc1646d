import type { Queue } from 'bullmq';

import { JobName } from '@sm/queues';

import { CrashHarness } from './crash/crash-harness';

const CONTACTS = 600;

describe('graceful shutdown', () => {
  const harness = new CrashHarness({ locationId: 'SMshutdownDrain00001', contacts: CONTACTS });
  let queue: Queue;

  beforeAll(async () => {
    await harness.start();
    await harness.startWorker();
    queue = harness.locationSyncQueue();
  }, 90_000);

  afterAll(async () => {
    await harness.stop();
  }, 30_000);

  it('lets a job in flight complete on SIGTERM instead of leaving it stalled', async () => {
    await harness.faults({ latencyMs: 20 });
    const job = await queue.add(JobName.SyncLocation, {
      locationId: harness.setup.locationId,
      trigger: 'install',
    });
    await harness.waitForStoredContacts(100);

    await harness.worker?.stop('SIGTERM');

    expect(await job.getState()).toBe('completed');
    const run = await harness.waitForSucceededRun(1_000);
    expect(run.jobId).toBe(job.id);
    await harness.faults(null);
    await harness.expectRecordsEqualSandbox(await harness.exportSandbox());
  }, 120_000);
});
