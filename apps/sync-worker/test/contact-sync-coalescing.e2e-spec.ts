import { Queue } from 'bullmq';

import { JobPriority, QueueName, SyncContactJob } from '@sm/queues';

import { JobEnqueuer } from '../src/jobs/job-enqueuer.service';
import { useSyncWorkerStack } from './support/sync-worker-stack';

const LOCATION = 'SMcoalesceLocation01';

/**
 * Adds for one contact within the coalescing window become one job, with the most urgent add's
 * priority and cause. The window is long here: every job stays delayed while the test looks.
 */
describe('contact syncs coalesced within the window', () => {
  const stack = useSyncWorkerStack({
    name: 'coalesce',
    serviceToken: 'coalesce-service-token-0123456789abc',
    queues: [QueueName.ContactSync],
    env: { CONTACT_SYNC_COALESCE_MS: '600000' },
  });
  const queue = () => stack.queues[QueueName.ContactSync] as Queue<SyncContactJob>;

  const heldJob = async (contactId: string) => {
    const jobs = await queue().getJobs(['delayed', 'prioritized', 'waiting']);
    const held = jobs.filter((job) => job.data.contactId === contactId);

    return held.map((job) => ({ priority: job.priority, data: job.data }));
  };

  it('raises a waiting reconciliation fetch to a webhook absorbed into it', async () => {
    const enqueuer = stack.app.get(JobEnqueuer);
    const contactId = 'SMcoalesceContact001';
    const reconciliation = { locationId: LOCATION, contactId, cause: 'location-sync' as const };
    const webhook = { locationId: LOCATION, contactId, cause: 'webhook' as const, inboxId: 'in-1' };

    await enqueuer.syncContact(reconciliation, JobPriority.Reconciliation);
    await enqueuer.syncContact(webhook, JobPriority.RealTime);
    await enqueuer.syncContact(reconciliation, JobPriority.Reconciliation);

    expect(await heldJob(contactId)).toEqual([{ priority: JobPriority.RealTime, data: webhook }]);
  });

  it('keeps a webhook fetch as it is when a reconciliation add is absorbed into it', async () => {
    const enqueuer = stack.app.get(JobEnqueuer);
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
