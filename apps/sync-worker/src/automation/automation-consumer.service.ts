import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import {
  createSyncCompletedConsumer,
  SyncCompletedConsumer,
  SyncCompletedEvent,
} from '@sm/sync-events';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { ParkedJobs } from '../failures/parked-jobs.service';
import { syncCompletedFailures } from '../failures/sync-completed-failures';
import { AUTOMATION_CONFIG } from './automation-config.token';
import { AUTOMATION_CONSUMER } from './automation.config';
import { ContactEventBatcher } from './contact-event-batcher';
import { RuleEngine } from './rules/rule-engine.service';

/** Contacts evaluated at once after a full sync of a location. */
const LOCATION_PAGE_SIZE = 500;

/**
 * Runs the rules when the sync engine says records changed: one contact after a webhook or a
 * per-contact sync, every contact of the location after a full sync. Redeliveries are harmless:
 * the rules read the records, and each effect is claimed once.
 */
@Injectable()
export class AutomationConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AutomationConsumer.name);
  private consumer: SyncCompletedConsumer | undefined;
  private readonly batcher: ContactEventBatcher;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(AUTOMATION_CONFIG) private readonly config: SyncWorkerConfig,
    private readonly engine: RuleEngine,
    private readonly parkedJobs: ParkedJobs,
  ) {
    this.batcher = new ContactEventBatcher({
      evaluate: (locationId, contactIds) => this.engine.evaluateContacts(locationId, contactIds),
      maxBatch: config.AUTOMATION_BATCH_SIZE,
      lingerMs: config.AUTOMATION_BATCH_LINGER_MS,
      parallel: 1,
    });
  }

  onApplicationBootstrap(): void {
    this.consumer = createSyncCompletedConsumer({
      consumer: AUTOMATION_CONSUMER,
      redisUrl: this.config.REDIS_URL,
      prefix: this.config.QUEUE_PREFIX,
      handle: (event, job) => this.handle(event, job.id),
      // Events of different contacts are independent (rules read the records, not the event),
      // so they are taken many at a time and evaluated in batches.
      concurrency: this.config.AUTOMATION_CONSUMER_CONCURRENCY,
      ...syncCompletedFailures(AUTOMATION_CONSUMER, this.config, this.logger, this.parkedJobs),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.close();
  }

  async handle(event: SyncCompletedEvent, jobId?: string): Promise<void> {
    const fields = { locationId: event.locationId, contactId: event.contactId, jobId };
    if (event.scope === 'contact' && event.contactId && !event.contactDeleted) {
      await this.batcher.add(event.locationId, event.contactId);
    } else if (event.scope === 'location') {
      const effects = await this.evaluateLocation(event.locationId);
      this.logger.log({ ...fields, effects }, 'automation rules run over the location');
    }
  }

  private async evaluateLocation(locationId: string): Promise<number> {
    if (!(await this.engine.hasRules(locationId))) return 0;
    let effects = 0;
    for (let after = ''; ;) {
      const rows: { id: string }[] = await this.dataSource.query(
        `SELECT id FROM contacts WHERE location_id = $1 AND deleted_at IS NULL AND id > $2
         ORDER BY id LIMIT $3`,
        [locationId, after, LOCATION_PAGE_SIZE],
      );
      if (rows.length === 0) return effects;
      effects += await this.engine.evaluateContacts(
        locationId,
        rows.map((row) => row.id),
      );
      after = rows[rows.length - 1].id;
    }
  }
}
