import { Logger } from '@nestjs/common';

import { loadConfig } from '@sm/config';
import { createSyncCompletedConsumer } from '@sm/sync-events';
import { deleteQueueKeys, TEST_REDIS_URL, uniqueQueuePrefix } from '@sm/testing';

import { syncWorkerEnv } from '../config/sync-worker.config';
import type { ParkedJobs } from './parked-jobs.service';
import { syncCompletedFailures } from './sync-completed-failures';

describe('syncCompletedFailures', () => {
  const prefix = uniqueQueuePrefix('sc-failures');

  afterAll(() => deleteQueueKeys(TEST_REDIS_URL, prefix));

  it('gives a consumer the lock and stall check of the worker’s own queues', async () => {
    const config = loadConfig(syncWorkerEnv, {
      DATABASE_URL: 'postgres://127.0.0.1/unused',
      SERVICE_TOKEN: 'spec-service-token-0123456789abcdef',
      REDIS_URL: TEST_REDIS_URL,
      WORKER_LOCK_MS: '4000',
      WORKER_STALLED_CHECK_MS: '2000',
    });
    // Parking is not reached here: nothing is published to the queue.
    const parkedJobs = {} as ParkedJobs;

    const consumer = createSyncCompletedConsumer({
      consumer: 'failures-spec',
      redisUrl: TEST_REDIS_URL,
      prefix,
      handle: async () => undefined,
      ...syncCompletedFailures('failures-spec', config, new Logger('spec'), parkedJobs),
    });
    await consumer.close();

    expect({
      lockDuration: consumer.worker.opts.lockDuration,
      stalledInterval: consumer.worker.opts.stalledInterval,
    }).toEqual({ lockDuration: 4_000, stalledInterval: 2_000 });
  });
});
