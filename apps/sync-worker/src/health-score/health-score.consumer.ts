import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';

import {
  createSyncCompletedConsumer,
  SyncCompletedConsumer,
  SyncCompletedEvent,
} from '@sm/sync-events';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { ParkedJobs } from '../failures/parked-jobs.service';
import { syncCompletedFailures } from '../failures/sync-completed-failures';
import { HealthScoreService } from './health-score.service';

/** The registered name of this consumer: its queue is `sync-completed.health-score`. */
export const HEALTH_SCORE_CONSUMER = 'health-score';

/**
 * Rescores what a sync changed: the contact of a contact sync, every contact of a location sync
 * (the nightly one included, which is also what lets recency decay show). A rescore is
 * idempotent, so redeliveries need no dedupe by event id.
 */
@Injectable()
export class HealthScoreConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(HealthScoreConsumer.name);
  private consumer: SyncCompletedConsumer | undefined;

  constructor(
    @Inject(SYNC_WORKER_CONFIG) private readonly config: SyncWorkerConfig,
    private readonly scores: HealthScoreService,
    private readonly parkedJobs: ParkedJobs,
  ) {}

  onApplicationBootstrap(): void {
    this.consumer = createSyncCompletedConsumer({
      consumer: HEALTH_SCORE_CONSUMER,
      redisUrl: this.config.REDIS_URL,
      prefix: this.config.QUEUE_PREFIX,
      handle: (event) => this.handle(event),
      ...syncCompletedFailures(HEALTH_SCORE_CONSUMER, this.config, this.logger, this.parkedJobs),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.close();
  }

  async handle(event: SyncCompletedEvent): Promise<void> {
    if (event.scope === 'contact' && event.contactId) {
      await this.scores.recomputeContacts(event.locationId, [event.contactId], 'sync');

      return;
    }
    const count = await this.scores.recomputeLocation(event.locationId, 'sync');
    this.logger.log({ locationId: event.locationId, contacts: count }, 'location rescored');
  }
}
