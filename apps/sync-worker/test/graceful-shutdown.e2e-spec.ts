import { ConnectionOptions, Queue } from 'bullmq';

import { SyncRun } from '@sm/entities';
import { JobName, QueueName, redisOptionsFromUrl } from '@sm/queues';
import { eventually } from '@sm/testing';

import { CrashHarness } from './crash/crash-harness';

const CONTACTS = 600;
/** GHL's latency here: the sync takes about 25 s, what is left of it after 500 contacts 20. */
const SLOW_GHL_MS = 300;
/** Well inside the pod's 60 s grace, and well short of what the rest of the sync takes. */
const HANDBACK_WITHIN_MS = 8_000;

/** Resolves with the ms a SIGTERM took to end the worker, or null when it outlived `limitMs`. */
async function msToExitOnSigterm(harness: CrashHarness, limitMs: number): Promise<number | null> {
  const startedAt = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const exited = harness.worker?.stop('SIGTERM').then(() => Date.now() - startedAt);
  const outlived = new Promise<null>((resolve) => (timer = setTimeout(resolve, limitMs, null)));
  const took = await Promise.race([exited, outlived]).finally(() => clearTimeout(timer));
  if (took === null) await harness.worker?.stop('SIGKILL');

  return took ?? null;
}

describe('graceful shutdown', () => {
  const harness = new CrashHarness({ locationId: 'SMshutdownDrain00001', contacts: CONTACTS });
  let queue: Queue;
  const runsOf = (jobId: string) =>
    harness.dataSource
      .getRepository(SyncRun)
      .find({ where: { jobId }, order: { startedAt: 'ASC' } });

  beforeAll(async () => {
    await harness.start();
    await harness.startWorker();
    queue = harness.locationSyncQueue();
  }, 90_000);

  afterAll(async () => {
    await harness.stop();
  }, 30_000);

  it('hands a location sync in flight back to the queue on SIGTERM, within the grace', async () => {
    await harness.faults({ latencyMs: SLOW_GHL_MS });
    const job = await queue.add(JobName.SyncLocation, {
      locationId: harness.setup.locationId,
      trigger: 'install',
    });
    await harness.waitForStoredContacts(100, 60_000);

    const exitMs = await msToExitOnSigterm(harness, 30_000);

    expect(exitMs).not.toBeNull();
    expect(exitMs).toBeLessThan(HANDBACK_WITHIN_MS);
    const handedBack = await queue.getJob(job.id as string);
    expect(['delayed', 'waiting']).toContain(await handedBack?.getState());
    // Cut short by a deploy, not failed: no attempt spent, no stall counted.
    expect(handedBack?.attemptsMade).toBe(0);
    expect(handedBack?.stalledCounter).toBe(0);
    const [interrupted] = await harness.dataSource.getRepository(SyncRun).findBy({
      jobId: job.id,
      scope: 'location',
    });
    expect(interrupted.status).toBe('interrupted');
    expect(interrupted.finishedAt).not.toBeNull();
    expect(interrupted.counts.contacts).toBeGreaterThanOrEqual(100);
  }, 120_000);

  it('finishes the handed-back sync on the next worker, records and events complete', async () => {
    await harness.faults(null);
    await harness.startWorker();

    const run = await harness.waitForSucceededRun(60_000);

    const runs = await harness.dataSource.getRepository(SyncRun).findBy({ scope: 'location' });
    expect(runs.map((each) => each.status).sort()).toEqual(['interrupted', 'succeeded']);
    expect(run.jobId).toBe(runs.find((each) => each.status === 'interrupted')?.jobId);
    await harness.expectRecordsEqualSandbox(await harness.exportSandbox());
    await harness.expectEveryConsumerHasEveryEvent();
    // Every GHL call in flight (16 here) listens to the run's stop signal; Node warns past 10.
    expect(harness.worker?.output()).not.toContain('MaxListenersExceededWarning');
  }, 120_000);

  it('aborts the GHL calls a location sync waits on, and still hands back in time', async () => {
    await harness.faults({ latencyMs: SLOW_GHL_MS });
    const job = await queue.add(JobName.SyncLocation, {
      locationId: harness.setup.locationId,
      trigger: 'manual',
    });
    await eventually(
      async () => ((await runsOf(job.id as string)).length > 0 ? true : undefined),
      30_000,
      'the manual full sync under way',
    );
    // From here GHL answers nothing: each call waits out GHL_TIMEOUT_MS (15 s), then retries.
    await harness.faults({ timeoutRate: 1, timeoutHoldMs: 120_000 });
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // calls now hang in flight

    const exitMs = await msToExitOnSigterm(harness, 45_000);

    expect(exitMs).not.toBeNull();
    expect(exitMs).toBeLessThan(HANDBACK_WITHIN_MS);
    expect((await runsOf(job.id as string)).map((run) => run.status)).toEqual(['interrupted']);
    expect((await queue.getJob(job.id as string))?.attemptsMade).toBe(0);
    await harness.faults(null);
    await harness.startWorker();
    await eventually(
      async () => ((await runsOf(job.id as string)).length === 2 ? true : undefined),
      60_000,
      'the handed-back full sync run again',
    );
  }, 150_000);

  it('lets a contact sync in flight complete on SIGTERM', async () => {
    const contactSync = new Queue(QueueName.ContactSync, {
      connection: redisOptionsFromUrl(harness.redisUrl) as ConnectionOptions,
      prefix: harness.prefix,
    });
    try {
      const [contact] = (await harness.exportSandbox()).contacts;
      await harness.faults({ latencyMs: 1_000 });
      const job = await contactSync.add(JobName.SyncContact, {
        locationId: harness.setup.locationId,
        contactId: contact.id as string,
        cause: 'webhook',
      });
      await eventually(
        async () => ((await job.getState()) === 'active' ? true : undefined),
        10_000,
        'the contact sync in flight',
      );

      await harness.worker?.stop('SIGTERM');

      expect(await job.getState()).toBe('completed');
    } finally {
      await harness.faults(null);
      await contactSync.close();
    }
  }, 60_000);

  it('stops a contact sync GHL holds past WORKER_DRAIN_MS and hands it back', async () => {
    await harness.worker?.stop('SIGTERM');
    await harness.startWorker({ WORKER_DRAIN_MS: '1000' });
    const contactSync = new Queue(QueueName.ContactSync, {
      connection: redisOptionsFromUrl(harness.redisUrl) as ConnectionOptions,
      prefix: harness.prefix,
    });
    try {
      const [, contact] = (await harness.exportSandbox()).contacts;
      await harness.faults({ timeoutRate: 1, timeoutHoldMs: 120_000 });
      const job = await contactSync.add(JobName.SyncContact, {
        locationId: harness.setup.locationId,
        contactId: contact.id,
        cause: 'webhook',
      });
      await eventually(
        async () => ((await job.getState()) === 'active' ? true : undefined),
        10_000,
        'the contact sync in flight',
      );

      const exitMs = await msToExitOnSigterm(harness, 45_000);

      expect(exitMs).not.toBeNull();
      expect(exitMs).toBeLessThan(HANDBACK_WITHIN_MS);
      const handedBack = await contactSync.getJob(job.id as string);
      expect(['delayed', 'waiting']).toContain(await handedBack?.getState());
      expect(handedBack?.attemptsMade).toBe(0);
      expect((await runsOf(job.id as string)).map((run) => run.status)).toEqual(['interrupted']);
    } finally {
      await harness.faults(null);
      await contactSync.close();
    }
  }, 90_000);
});
