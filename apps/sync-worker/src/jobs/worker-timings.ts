import { Processor } from '@nestjs/bullmq';

import { QueueName } from '@sm/queues';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { ContactSyncProcessor } from '../contact-sync/contact-sync.processor';
import { LocationSyncProcessor } from '../location-sync/location-sync.processor';
import { WebhookEventsProcessor } from '../webhooks/webhook-events.processor';

/**
 * How often a location run may be found stalled (its worker killed) before it fails. BullMQ's
 * default, 1, fails a job on its second stall; a location run lasts hours at GHL's rate limits
 * and resumes where its commits stopped, so a node lost twice during a first sync must not
 * leave the location half-synced until an operator replays it. A run that kills its worker
 * every time (out of memory) still fails, and is parked, on its fourth stall.
 */
const LOCATION_RUN_MAX_STALLS = 3;

/**
 * How long a job's lock lasts and how often stalled jobs are looked for: together they decide
 * how soon a job of a killed worker runs again. Nest reads worker options from the
 * `@Processor` metadata when it creates the workers, so they are set here, from the
 * configuration, before the module is built.
 */
export function applyWorkerTimings(config: SyncWorkerConfig): void {
  const options = {
    lockDuration: config.WORKER_LOCK_MS,
    stalledInterval: config.WORKER_STALLED_CHECK_MS,
  };
  Processor(QueueName.WebhookEvents, options)(WebhookEventsProcessor);
  Processor(QueueName.ContactSync, options)(ContactSyncProcessor);
  Processor(QueueName.LocationSync, { ...options, maxStalledCount: LOCATION_RUN_MAX_STALLS })(
    LocationSyncProcessor,
  );
}
