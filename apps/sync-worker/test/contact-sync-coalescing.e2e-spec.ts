import { INestApplication } from '@nestjs/common';
import { ConnectionOptions, Queue } from 'bullmq';

import { loadConfig } from '@sm/config';
import { startService } from '@sm/platform';
import { JobPriority, QueueName, redisOptionsFromUrl, SyncContactJob } from '@sm/queues';
import { createTestDatabase, TEST_REDIS_URL, TestDatabase, uniqueQueuePrefix } from '@sm/testing';

import { AppModule } from '../src/app.module';
import { syncWorkerEnv } from '../src/config/sync-worker.config';
import { JobEnqueuer } from '../src/jobs/job-enqueuer.service';

const LOCATION = 'SMcoalesceLocation01';

/**
 * Adds for one contact within the coalescing window become one job, with the most urgent add's
 * priority and cause. The window is long here: every job stays delayed while the test looks.
 */
describe('contact syncs coalesced within the window', () => {
  let database: TestDatabase;
  let app: INestApplication;
  let queue: Queue<SyncContactJob>;
  const prefix = uniqueQueuePrefix('coalesce');

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = loadConfig(syncWorkerEnv, {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      SERVICE_TOKEN: 'coalesce-service-token-0123456789abc',
      CONTACT_SYNC_COALESCE_MS: '600000',
    });
    app = await startService(AppModule.forRoot(config), { host: '127.0.0.1', port: 0 });
    queue = new Queue(QueueName.ContactSync, {
      connection: redisOptionsFromUrl(TEST_REDIS_URL) as ConnectionOptions,
      prefix,
    });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await queue?.obliterate({ force: true });
    await queue?.close();
    await database?.drop();
  });

  const heldJob = async (contactId: string) => {
    const jobs = await queue.getJobs(['delayed', 'prioritized', 'waiting']);
    const held = jobs.filter((job) => job.data.contactId === contactId);

    return held.map((job) => ({ priority: job.priority, data: job.data }));
  };

  it('raises a waiting reconciliation fetch to a webhook absorbed into it', async () => {
    const enqueuer = app.get(JobEnqueuer);
    const contactId = 'SMcoalesceContact001';
    const reconciliation = { locationId: LOCATION, contactId, cause: 'location-sync' as const };
    const webhook = { locationId: LOCATION, contactId, cause: 'webhook' as const, inboxId: 'in-1' };

    await enqueuer.syncContact(reconciliation, JobPriority.Reconciliation);
    await enqueuer.syncContact(webhook, JobPriority.RealTime);
    await enqueuer.syncContact(reconciliation, JobPriority.Reconciliation);

    expect(await heldJob(contactId)).toEqual([{ priority: JobPriority.RealTime, data: webhook }]);
  });

  it('keeps a webhook fetch as it is when a reconciliation add is absorbed into it', async () => {
    const enqueuer = app.get(JobEnqueuer);
    const contactId = 'SMcoalesceContact002';
    const webhook = { locationId: LOCATION, contactId, cause: 'webhook' as const, inboxId: 'in-2' };

    await enqueuer.syncContact(webhook, JobPriority.RealTime);
    await enqueuer.syncContact(
      { locationId: LOCATION, contactId, cause: 'location-sync' },
      JobPriority.Reconciliation,
    );

    expect(await heldJob(contactId)).toEqual([{ priority: JobPriority.RealTime, data: webhook }]);
  });
});
