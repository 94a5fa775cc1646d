import { Injectable, Logger } from '@nestjs/common';
import type { Job } from 'bullmq';

import { GhlApiError } from '@sm/ghl-client';

import { JobEnqueuer } from '../jobs/job-enqueuer.service';

/**
 * Tells an admin when a location has spent its GHL calls for the day: its syncs wait until the
 * budget renews at midnight UTC, which nobody would otherwise notice until records go stale.
 * One alert per location and UTC day, however many jobs run into the exhausted budget.
 */
@Injectable()
export class BudgetAlerts {
  private readonly logger = new Logger(BudgetAlerts.name);

  constructor(private readonly enqueuer: JobEnqueuer) {}

  /** A worker's 'failed' listener: never rejects. */
  async alertIfExhausted(queueName: string, job: Job | undefined, error: Error): Promise<void> {
    const locationId = job?.data?.locationId;
    const isExhausted = error instanceof GhlApiError && error.budget === 'daily';
    if (!isExhausted || typeof locationId !== 'string') return;

    const day = new Date().toISOString().slice(0, 10);
    try {
      await this.enqueuer.adminAlert({
        kind: 'ghl-budget-exhausted',
        locationId,
        dedupeKey: `ghl-budget-exhausted.${locationId}.${day}`,
        summary:
          `location ${locationId} has used its GHL calls for ${day} (UTC); ` +
          'its syncs resume when the daily budget renews at midnight UTC',
      });
    } catch (alertError) {
      this.logger.error(
        { locationId, jobId: job?.id, queue: queueName, err: (alertError as Error).message },
        'budget alert could not be queued',
      );
    }
  }
}
