import { ConnectionOptions, Job, UnrecoverableError, Worker } from 'bullmq';

import { JobName, redisOptionsFromUrl, syncCompletedQueue } from '@sm/queues';

import type { SyncCompletedEvent } from './sync-completed.event';
import { explainInvalidEvent, isSyncCompletedEventV1 } from './sync-completed.schema';

export interface SyncCompletedConsumerOptions {
  /** The consumer's registered name (lower-case words); its queue is `sync-completed.<name>`. */
  consumer: string;
  redisUrl: string;
  /** The platform's `QUEUE_PREFIX` (default `sm`). */
  prefix?: string;
  /**
   * Called once per delivery. Deliveries are at least once: deduplicate by `event.eventId`.
   * A throw retries the delivery with the producer's backoff.
   */
  handle: (event: SyncCompletedEvent, job: Job<SyncCompletedEvent>) => Promise<void>;
  /**
   * Events handled at once. Default 1, which keeps the relay's order (oldest first, so in order
   * per contact); more trades that order for throughput.
   */
  concurrency?: number;
}

export interface SyncCompletedConsumer {
  readonly worker: Worker<SyncCompletedEvent>;
  /** Stops taking events and waits for the ones in hand. */
  close(): Promise<void>;
}

/**
 * A BullMQ worker on this consumer's own `sync-completed` queue. Events that do not match the
 * v1 schema fail at once without retries (they will not get better).
 */
export function createSyncCompletedConsumer(
  options: SyncCompletedConsumerOptions,
): SyncCompletedConsumer {
  const worker = new Worker<SyncCompletedEvent>(
    syncCompletedQueue(options.consumer),
    async (job) => {
      if (job.name !== JobName.SyncCompleted) return;
      if (!isSyncCompletedEventV1(job.data)) {
        throw new UnrecoverableError(
          `not a sync-completed v1 event: ${explainInvalidEvent(job.data).join('; ')}`,
        );
      }
      await options.handle(job.data, job);
    },
    {
      connection: redisOptionsFromUrl(options.redisUrl) as ConnectionOptions,
      prefix: options.prefix ?? 'sm',
      concurrency: options.concurrency ?? 1,
    },
  );

  return { worker, close: () => worker.close() };
}
