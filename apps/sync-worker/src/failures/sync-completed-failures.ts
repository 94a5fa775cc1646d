import type { Logger } from '@nestjs/common';

import { syncCompletedQueue } from '@sm/queues';
import type { SyncCompletedConsumerOptions } from '@sm/sync-events';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { describeError } from './job-errors';
import type { ParkedJobs } from './parked-jobs.service';

type FailureOptions = Pick<
  SyncCompletedConsumerOptions,
  'retry' | 'lockMs' | 'stalledCheckMs' | 'onTryFailed' | 'onDeliveryFailed'
>;

/**
 * How the worker's own `sync-completed` consumers fail: retried in place for the configured
 * window, each failed try logged with its ids, and a delivery that failed for good parked (with
 * an admin alert) for the parked-jobs replay to add to the consumer's queue again. An event held
 * by a replica that died is taken again as soon as a job of the worker's own queues is: the
 * same lock and stall-check settings.
 */
export function syncCompletedFailures(
  consumer: string,
  config: SyncWorkerConfig,
  logger: Logger,
  parkedJobs: ParkedJobs,
): FailureOptions {
  return {
    retry: {
      windowMs: config.SYNC_COMPLETED_RETRY_WINDOW_MS,
      initialDelayMs: config.SYNC_COMPLETED_RETRY_DELAY_MS,
    },
    lockMs: config.WORKER_LOCK_MS,
    stalledCheckMs: config.WORKER_STALLED_CHECK_MS,
    onTryFailed: ({ eventId, locationId, contactId, attempt, tryNumber, error, retryInMs }) =>
      logger.warn(
        {
          consumer,
          eventId,
          locationId,
          contactId,
          attempt,
          tryNumber,
          retryInMs,
          error: describeError(error),
        },
        'sync-completed event failed',
      ),
    onDeliveryFailed: (job, error) =>
      parkedJobs.parkIfFinal(syncCompletedQueue(consumer), job, error),
  };
}
