import { ConnectionOptions, Job, Queue } from 'bullmq';

import { GhlApiError } from '@sm/ghl-client';
import { JobName, QueueName, redisOptionsFromUrl } from '@sm/queues';
import { TEST_REDIS_URL, uniqueQueuePrefix } from '@sm/testing';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { JobEnqueuer } from '../jobs/job-enqueuer.service';
import { BudgetAlerts } from './budget-alerts.service';

const LOCATION = 'SMbudgetAlertLoc001';

const rateError = (budget: 'daily' | 'burst') =>
  new GhlApiError('rate', 429, `rate budget (${budget})`, undefined, 'rate-governor', { budget });
const jobOf = (data: Record<string, unknown>) => ({ id: 'j1', data }) as unknown as Job;

describe('the GHL budget alert', () => {
  const prefix = uniqueQueuePrefix('budget-alert');
  const connection = redisOptionsFromUrl(TEST_REDIS_URL) as ConnectionOptions;
  let queue: Queue;
  let alerts: BudgetAlerts;

  beforeAll(() => {
    queue = new Queue(QueueName.Notifications, { connection, prefix });
    // Every queue argument is the notifications queue: only adminAlert is used here.
    const enqueuer = new JobEnqueuer({} as SyncWorkerConfig, queue, queue, queue, queue);
    alerts = new BudgetAlerts(enqueuer);
  });

  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('alerts once per location and day when jobs run into the spent daily budget', async () => {
    for (let i = 0; i < 5; i++) {
      await alerts.alertIfExhausted(
        QueueName.ContactSync,
        jobOf({ locationId: LOCATION }),
        rateError('daily'),
      );
    }
    await alerts.alertIfExhausted(
      QueueName.ContactSync,
      jobOf({ locationId: LOCATION }),
      rateError('burst'),
    );
    await alerts.alertIfExhausted(QueueName.ContactSync, jobOf({}), rateError('daily'));
    await alerts.alertIfExhausted(
      QueueName.ContactSync,
      jobOf({ locationId: LOCATION }),
      new Error('x'),
    );

    const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized']);
    const day = new Date().toISOString().slice(0, 10);
    expect(jobs.map((job) => [job.name, job.data])).toEqual([
      [
        JobName.AdminAlert,
        expect.objectContaining({
          kind: 'ghl-budget-exhausted',
          locationId: LOCATION,
          dedupeKey: `ghl-budget-exhausted.${LOCATION}.${day}`,
        }),
      ],
    ]);
  });
});
